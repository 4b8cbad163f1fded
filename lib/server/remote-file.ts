// Server-only code: downloads a user-supplied URL (the API's `target_file_path`) to local disk. It opens sockets and
// writes files, so it must never be imported from a client component. (No `import "server-only"`: Vitest runs it in
// plain Node.)
//
// The URL comes from an API caller, so everything here assumes it is hostile: it may point at internal services
// (SSRF), redirect there later, resolve to a private address only on the second lookup (DNS rebinding), send an
// endless body or never answer. Every one of those ends in a RemoteFileError whose message is safe to show the caller.

import { randomUUID } from "node:crypto";
import { lookup } from "node:dns/promises";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { isIP, isIPv4, isIPv6, type LookupFunction } from "node:net";
import path from "node:path";
import { readHead } from "../read-head";

export type RemoteFileErrorCode =
  | "invalid_url"
  | "blocked_address"
  | "too_large"
  | "timeout"
  | "http_error"
  | "too_many_redirects"
  | "network"
  | "unsupported_content";

/**
 * A download failure caused by the URL or the remote server. The message is written for the API caller: it names at
 * most the URL's host, never resolved addresses, local paths or low-level errors (those stay in `cause` for logs).
 */
export class RemoteFileError extends Error {
  readonly code: RemoteFileErrorCode;

  constructor(code: RemoteFileErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RemoteFileError";
    this.code = code;
  }
}

export interface DownloadOptions {
  /** Extensions the URL path may end in, e.g. ["png", "jpg", "mp4"] (case and a leading dot are ignored). */
  allowedExtensions: readonly string[];
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /**
   * Recognises the downloaded content from its first 4 KB and returns the extension it is stored under, or null to
   * refuse it. A URL's name and Content-Type are the sender's word: the bytes are checked like an upload's, so an
   * HLS playlist named .mp4 never reaches a decoder.
   */
  sniff?: (head: Buffer) => string | null;
  /** Budget for the whole download: DNS, every redirect hop and the body. Default 30 s. */
  timeoutMs?: number;
  /** A connection silent this long (while connecting, or mid-body) fails early. Default min(timeoutMs, 10 s). */
  idleTimeoutMs?: number;
  /**
   * TESTS ONLY: skip the address check so a test can download from a server on 127.0.0.1. Production code never sets
   * this; without it private, loopback and other internal addresses are refused.
   */
  allowPrivateAddresses?: boolean;
  /**
   * TESTS ONLY: replace the address policy (default: refuse whatever `isBlockedAddress` refuses), e.g. to allow one
   * loopback test server while still refusing redirects to other internal addresses. Production never sets it.
   */
  isAddressAllowed?: (ip: string) => boolean;
}

export interface DownloadResult {
  /** Lowercased extension of the URL that was finally downloaded (after redirects). */
  extension: string;
  bytes: number;
  contentType: string | null;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_IDLE_MS = 10_000;
const MAX_REDIRECTS = 5;
const MAX_URL_LENGTH = 2048;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface Settings {
  allowedExtensions: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  idleTimeoutMs: number;
  isAddressAllowed: (ip: string) => boolean;
}

/** Per-download state shared by every hop: the settings plus one abort signal that carries the failure reason. */
interface Context extends Settings {
  signal: AbortSignal;
  fail: (reason: RemoteFileError) => void;
}

/**
 * Download `url` to `destination`. The body goes to a temporary file beside `destination`, which is renamed into
 * place only when complete; on any failure the temporary file is deleted and `destination` is left untouched.
 *
 * Throws RemoteFileError for anything the URL or remote server caused. Local filesystem errors (say, a missing
 * destination directory) are server faults and propagate unchanged.
 */
export async function downloadRemoteFile(
  url: string,
  destination: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const settings = resolveSettings(options);
  const first = parseRemoteUrl(url, undefined, settings.allowedExtensions);

  const controller = new AbortController();
  const context: Context = {
    ...settings,
    signal: controller.signal,
    fail: (reason) => controller.abort(reason),
  };
  const deadline = setTimeout(() => context.fail(timeoutError(first.url)), settings.timeoutMs);
  const tempPath = path.join(
    path.dirname(destination),
    `.${path.basename(destination)}.${randomUUID()}.part`,
  );
  let response: http.IncomingMessage | undefined;

  try {
    const final = await requestFollowingRedirects(first, context);
    response = final.response;
    checkResponseHeaders(response, final.url, settings.maxBytes);
    const bytes = await saveBody(response, final.url, tempPath, context);
    const extension = options.sniff
      ? sniffed(await readHead(tempPath), final.url, options.sniff)
      : final.extension;
    await rename(tempPath, destination);
    return { extension, bytes, contentType: response.headers["content-type"] ?? null };
  } catch (error) {
    response?.destroy();
    await rm(tempPath, { force: true });
    throw error;
  } finally {
    clearTimeout(deadline);
  }
}

function resolveSettings(options: DownloadOptions): Settings {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const idleTimeoutMs = options.idleTimeoutMs ?? Math.min(timeoutMs, DEFAULT_MAX_IDLE_MS);
  // Bad limits are programming errors, not user errors: fail loudly instead of downloading without a limit.
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes <= 0) {
    throw new TypeError("maxBytes must be a positive integer");
  }
  if (!(timeoutMs > 0 && idleTimeoutMs > 0 && Number.isFinite(timeoutMs + idleTimeoutMs))) {
    throw new TypeError("timeoutMs and idleTimeoutMs must be positive numbers");
  }
  const allowedExtensions = options.allowedExtensions.map((ext) => ext.replace(/^\./, "").toLowerCase());
  if (allowedExtensions.length === 0) throw new TypeError("allowedExtensions must not be empty");

  const allowAll = () => true;
  const defaultPolicy = (ip: string) => !isBlockedAddress(ip);
  return {
    allowedExtensions,
    maxBytes: options.maxBytes,
    timeoutMs,
    idleTimeoutMs,
    isAddressAllowed: options.isAddressAllowed ?? (options.allowPrivateAddresses ? allowAll : defaultPolicy),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// URL validation

interface RemoteUrl {
  url: URL;
  extension: string;
}

/** Parse and check one URL: the caller's, or a redirect target resolved against the URL that redirected. */
function parseRemoteUrl(raw: string, base: URL | undefined, allowedExtensions: readonly string[]): RemoteUrl {
  const prefix = base ? `The server at ${base.hostname} redirected to a URL that is not allowed: ` : "";
  const invalid = (reason: string) => new RemoteFileError("invalid_url", `${prefix}${reason}`);

  if (raw.length > MAX_URL_LENGTH) throw invalid(`the URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw invalid("the URL is not valid.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid("only http and https URLs are supported.");
  }
  // Credentials in a URL are never needed for a public file and would only end up in logs.
  if (url.username !== "" || url.password !== "") {
    throw invalid("URLs with a user name or password are not accepted.");
  }

  const extension = extensionOf(url);
  if (extension === null || !allowedExtensions.includes(extension)) {
    throw invalid(`the URL path must end in a file extension, one of: ${allowedExtensions.join(", ")}.`);
  }
  return { url, extension };
}

/** The lowercased extension of the last path segment ("/a/Photo.JPG" → "jpg"), or null when there is none. */
function extensionOf(url: URL): string | null {
  const lastSegment = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  const match = /\.([A-Za-z0-9]+)$/.exec(lastSegment);
  return match?.[1]?.toLowerCase() ?? null;
}

/** URL.hostname keeps the brackets of an IPv6 literal ("[::1]"); sockets and DNS want it bare. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

// ---------------------------------------------------------------------------------------------------------------
// Requests and redirects

interface FinalResponse extends RemoteUrl {
  response: http.IncomingMessage;
}

/**
 * Follow redirects by hand: each hop is a new, untrusted URL, so it goes through the same URL and address checks as
 * the first one. Automatic redirect following would skip exactly those checks.
 */
async function requestFollowingRedirects(first: RemoteUrl, context: Context): Promise<FinalResponse> {
  let current = first;
  for (let redirects = 0; ; redirects++) {
    const address = await vetHost(current.url, context);
    const response = await sendRequest(current.url, address, context);
    const location = redirectLocation(response);
    if (location === null) return { ...current, response };

    response.destroy(); // The redirect body is of no interest; do not spend bandwidth on it.
    if (redirects >= MAX_REDIRECTS) {
      throw new RemoteFileError(
        "too_many_redirects",
        `The server at ${first.url.hostname} redirected more than ${MAX_REDIRECTS} times.`,
      );
    }
    current = parseRemoteUrl(location, current.url, context.allowedExtensions);
  }
}

function redirectLocation(response: http.IncomingMessage): string | null {
  const location = response.headers.location;
  return REDIRECT_STATUSES.has(response.statusCode ?? 0) && location ? location : null;
}

/**
 * Resolve the host and return the address to connect to. Every resolved address must pass, not just the first: a
 * host listing one public and one private address could otherwise be used to reach the private one.
 */
async function vetHost(url: URL, context: Context): Promise<string> {
  const hostname = bareHostname(url);
  const addresses = isIP(hostname) !== 0 ? [hostname] : await resolveHost(url, context);
  const [first] = addresses;
  if (first === undefined) {
    throw new RemoteFileError("network", `Could not resolve the host ${url.hostname}.`);
  }
  if (!addresses.every((address) => context.isAddressAllowed(address))) {
    throw new RemoteFileError(
      "blocked_address",
      `Downloads from ${url.hostname} are not allowed: it points to a private or reserved network address.`,
    );
  }
  return first;
}

async function resolveHost(url: URL, context: Context): Promise<string[]> {
  try {
    const results = await untilAborted(
      lookup(bareHostname(url), { all: true, verbatim: true }),
      context.signal,
    );
    return results.map((result) => result.address);
  } catch (error) {
    if (error instanceof RemoteFileError) throw error;
    throw new RemoteFileError("network", `Could not resolve the host ${url.hostname}.`, { cause: error });
  }
}

/**
 * Send a GET to `url`, connecting to the already vetted `address`. The hostname still goes in the Host header and the
 * TLS SNI / certificate check; only the address lookup is replaced, so a second DNS answer (rebinding) can never
 * redirect the connection.
 */
function sendRequest(url: URL, address: string, context: Context): Promise<http.IncomingMessage> {
  const hostname = bareHostname(url);
  const options: https.RequestOptions = {
    method: "GET",
    host: hostname,
    port: url.port === "" ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: {
      host: url.host,
      accept: "*/*",
      // Ask for the raw bytes: the size limit and the saved file should both be about the file itself.
      "accept-encoding": "identity",
      "user-agent": "facefinder-remote-file/1.0",
    },
    lookup: pinnedLookup(address),
    // A private agent: a pooled keep-alive socket must never be reused for a different (unvetted) connection.
    agent: false,
    // SNI must be a DNS name; for an IP literal Node leaves it out and checks the certificate against the IP.
    servername: isIP(hostname) === 0 ? hostname : undefined,
    signal: context.signal,
    // Socket idle timeout: covers a connect that hangs and a server that stops sending mid-body.
    timeout: context.idleTimeoutMs,
  };
  const transport = url.protocol === "https:" ? https : http;

  return new Promise((resolve, reject) => {
    const request = transport.request(options, resolve);
    request.on("timeout", () => context.fail(timeoutError(url)));
    request.on("error", (error) => reject(toRemoteError(error, url, context.signal)));
    request.end();
  });
}

/** A `lookup` that answers every query with the vetted address, in both the single and the `all` callback forms. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Response body

function checkResponseHeaders(response: http.IncomingMessage, url: URL, maxBytes: number): void {
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 299) {
    throw new RemoteFileError(
      "http_error",
      `The server at ${url.hostname} answered with HTTP status ${status}.`,
    );
  }
  // Refuse a declared oversize body before writing a byte; the streaming count below catches servers that lie.
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLargeError(url, maxBytes);
}

/** Stream the body into a new file at `tempPath`, stopping as soon as it exceeds the limit. Returns the byte count. */
async function saveBody(response: http.IncomingMessage, url: URL, tempPath: string, context: Context) {
  // "wx": never follow or overwrite something already at the temporary path.
  const file = await open(tempPath, "wx", 0o600);
  try {
    return await copyLimited(response, file, url, context);
  } finally {
    await file.close();
  }
}

async function copyLimited(response: http.IncomingMessage, file: FileHandle, url: URL, context: Context) {
  const chunks: AsyncIterator<Buffer> = response[Symbol.asyncIterator]();
  let bytes = 0;
  for (;;) {
    // Reading is kept apart from writing so that network failures become RemoteFileErrors while disk failures
    // (a server fault) keep their own error.
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch (error) {
      throw toRemoteError(error, url, context.signal);
    }
    if (next.done) {
      // A connection cut short can look like a normal end of stream: never keep a truncated file.
      if (!response.complete || context.signal.aborted) {
        throw toRemoteError(new Error("response ended early"), url, context.signal);
      }
      return bytes;
    }
    bytes += next.value.length;
    if (bytes > context.maxBytes) throw tooLargeError(url, context.maxBytes);
    await file.writeFile(next.value);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Errors and small helpers

function sniffed(head: Buffer, url: URL, sniff: (head: Buffer) => string | null): string {
  const extension = sniff(head);
  if (!extension) {
    throw new RemoteFileError(
      "unsupported_content",
      `The file at ${url.hostname} is not an image or video this server can read.`,
    );
  }
  return extension;
}

function timeoutError(url: URL): RemoteFileError {
  return new RemoteFileError("timeout", `The download from ${url.hostname} took too long.`);
}

function tooLargeError(url: URL, maxBytes: number): RemoteFileError {
  return new RemoteFileError(
    "too_large",
    `The file at ${url.hostname} is larger than the ${maxBytes}-byte limit.`,
  );
}

/** Map a low-level failure to a RemoteFileError; an abort carries its own reason (a timeout). */
function toRemoteError(error: unknown, url: URL, signal: AbortSignal): RemoteFileError {
  if (error instanceof RemoteFileError) return error;
  if (signal.aborted && signal.reason instanceof RemoteFileError) return signal.reason;
  return new RemoteFileError("network", `Could not download the file from ${url.hostname}.`, {
    cause: error,
  });
}

/** Settle with `promise`, or reject with the signal's reason as soon as it aborts (dns.lookup cannot be aborted). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Address policy

type Range = { bytes: number[]; prefix: number };

/** IPv4 ranges that are not the public internet (RFC 6890 special-purpose registry and friends). */
const BLOCKED_IPV4: readonly Range[] = [
  "0.0.0.0/8", // "this network", including the unspecified 0.0.0.0
  "10.0.0.0/8", // private
  "100.64.0.0/10", // carrier-grade NAT
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local, including cloud metadata at 169.254.169.254
  "172.16.0.0/12", // private
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24", // documentation
  "192.88.99.0/24", // 6to4 relay anycast
  "192.168.0.0/16", // private
  "198.18.0.0/15", // benchmarking
  "198.51.100.0/24", // documentation
  "203.0.113.0/24", // documentation
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, including broadcast 255.255.255.255
].map(parseRange);

const BLOCKED_IPV6: readonly Range[] = [
  "::/128", // unspecified
  "::1/128", // loopback
  "64:ff9b:1::/48", // local-use NAT64
  "100::/64", // discard-only
  "2001::/23", // IETF protocol assignments, including Teredo (2001::/32)
  "2001:db8::/32", // documentation
  "3fff::/20", // documentation
  "fc00::/7", // unique local (private)
  "fe80::/10", // link-local
  "fec0::/10", // deprecated site-local
  "ff00::/8", // multicast
].map(parseRange);

/** IPv6 ranges whose last 32 bits are an IPv4 address the packets really go to: that address must pass too. */
const IPV4_EMBEDDING_IPV6: readonly Range[] = [
  "::/96", // deprecated IPv4-compatible (also covers :: and ::1, whose embedded 0.0.0.x is blocked)
  "::ffff:0:0/96", // IPv4-mapped, e.g. ::ffff:127.0.0.1
  "::ffff:0:0:0/96", // IPv4-translated (SIIT)
  "64:ff9b::/96", // well-known NAT64 prefix
].map(parseRange);

const SIX_TO_FOUR = parseRange("2002::/16"); // 6to4: the IPv4 address sits in bits 16–47

/**
 * True when `ip` must not be connected to: loopback, private, link-local, unspecified, CGNAT, multicast, reserved,
 * documentation, and IPv6 forms that embed such an IPv4 address (::ffff:127.0.0.1, 64:ff9b::a00:1, 2002:7f00:1::).
 * Anything that is not an IP address is blocked too: fail closed.
 */
export function isBlockedAddress(ip: string): boolean {
  const v4 = ipv4Bytes(ip);
  if (v4) return inAnyRange(v4, BLOCKED_IPV4);
  const v6 = ipv6Bytes(ip);
  if (!v6) return true;
  if (inAnyRange(v6, BLOCKED_IPV6)) return true;
  if (inAnyRange(v6, IPV4_EMBEDDING_IPV6) && inAnyRange(v6.slice(12, 16), BLOCKED_IPV4)) return true;
  if (inRange(v6, SIX_TO_FOUR) && inAnyRange(v6.slice(2, 6), BLOCKED_IPV4)) return true;
  return false;
}

function parseRange(cidr: string): Range {
  const [address = "", prefix = ""] = cidr.split("/");
  const bytes = ipv4Bytes(address) ?? ipv6Bytes(address);
  if (!bytes) throw new Error(`Bad range in remote-file policy: ${cidr}`);
  return { bytes, prefix: Number(prefix) };
}

function inAnyRange(bytes: number[], ranges: readonly Range[]): boolean {
  return ranges.some((range) => inRange(bytes, range));
}

/** Compare the first `prefix` bits; addresses of the other family never match. */
function inRange(bytes: number[], range: Range): boolean {
  if (bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.prefix; bit += 8) {
    const bitsHere = Math.min(8, range.prefix - bit);
    const mask = (0xff << (8 - bitsHere)) & 0xff;
    const index = bit / 8;
    if (((bytes[index] ?? 0) & mask) !== ((range.bytes[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** Dotted-quad IPv4 to 4 bytes, or null. (URL parsing has already turned forms like 0x7f.1 into dotted quads.) */
function ipv4Bytes(ip: string): number[] | null {
  return isIPv4(ip) ? ip.split(".").map(Number) : null;
}

/** IPv6 (with optional zone and embedded dotted quad) to 16 bytes, or null. */
function ipv6Bytes(ip: string): number[] | null {
  const address = ip.split("%")[0] ?? "";
  if (!isIPv6(address)) return null;
  const [head = "", tail] = address.split("::");
  const headWords = ipv6Words(head);
  const tailWords = tail === undefined ? [] : ipv6Words(tail);
  const zeros = tail === undefined ? 0 : 8 - headWords.length - tailWords.length;
  const words = [...headWords, ...new Array<number>(zeros).fill(0), ...tailWords];
  if (words.length !== 8) return null;
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

function ipv6Words(text: string): number[] {
  if (text === "") return [];
  return text.split(":").flatMap((part) => {
    const v4 = ipv4Bytes(part);
    if (!v4) return [Number.parseInt(part, 16)];
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    return [(a << 8) | b, (c << 8) | d];
  });
}
