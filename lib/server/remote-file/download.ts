import "server-only";
import { randomUUID } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import path from "node:path";
import { readHead } from "../../media/read-head";
import { isBlockedAddress, vetHost } from "./address-policy";
import { RemoteFileError, timeoutError, toRemoteError } from "./remote-file-error";
import { checkResponseHeaders, saveBody } from "./response-body";
import { bareHostname, parseRemoteUrl, type RemoteUrl } from "./url-policy";

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
 * The URL comes from an API caller, so everything here assumes it is hostile: it may point at internal services
 * (SSRF), redirect there later, resolve to a private address only on the second lookup (DNS rebinding), send an
 * endless body or never answer. Every one of those ends in a RemoteFileError whose message is safe to show the
 * caller. Local filesystem errors (say, a missing destination directory) are server faults and propagate unchanged.
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
    const address = await vetHost(current.url, context.isAddressAllowed, context.signal);
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
