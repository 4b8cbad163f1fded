import "server-only";
import { BlockList, isIP } from "node:net";

/**
 * Who sent a request, and which origin they addressed, without trusting headers a client can forge.
 *
 * `next start` only fills in `x-forwarded-for` / `x-forwarded-host` when the client sent none (`??=` in Next's
 * base server), so a forged header reaches the route unchanged and the socket's address is lost. The socket
 * address is therefore stamped by this app itself, at the HTTP server, into PEER_HEADER (see http-hooks.ts), and
 * forwarded headers are believed only as far as TRUST_PROXY says.
 */
export const PEER_HEADER = "x-facefinder-peer";

/** TRUST_PROXY: nobody (the default), the number of proxy hops in front of this server, or their addresses. */
export type TrustProxy =
  | { kind: "none" }
  | { kind: "hops"; hops: number }
  | { kind: "list"; list: BlockList };

export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? "").trim();
  if (text === "" || text === "0" || text === "false") return { kind: "none" };
  if (/^\d+$/.test(text)) return { kind: "hops", hops: Number(text) };
  const list = new BlockList();
  for (const item of text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [address = "", prefix] = item.split("/");
    const family = isIP(address);
    if (!family) throw new Error(`TRUST_PROXY: '${item}' is not an IP address, a CIDR range or a hop count`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, type);
    else {
      const bits = Number(prefix);
      if (!/^\d+$/.test(prefix) || bits > (family === 6 ? 128 : 32)) {
        throw new Error(`TRUST_PROXY: '${item}' has an invalid prefix length`);
      }
      list.addSubnet(address, bits, type);
    }
  }
  return { kind: "list", list };
}

/** `::ffff:1.2.3.4` (how a dual-stack socket reports an IPv4 peer) is 1.2.3.4; brackets and ports are dropped. */
export function normalizeAddress(raw: string): string {
  let address = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1]) address = bracketed[1];
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(":"));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

function isTrusted(trust: TrustProxy, address: string): boolean {
  if (trust.kind !== "list") return false;
  const family = isIP(address);
  return family !== 0 && trust.list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The client's address: the socket's peer unless that peer is a trusted proxy; then walk the X-Forwarded-For
 * chain from the right (each proxy appends the address it saw) past every trusted hop. The left-most entries are
 * whatever the client wrote, so they are used only when every hop to their right is trusted.
 */
export function clientAddress(headers: Headers, trust: TrustProxy): string {
  const peer = normalizeAddress(headers.get(PEER_HEADER) ?? "");
  if (!peer) return "unknown";
  if (trust.kind === "none") return peer;
  const forwarded = (headers.get("x-forwarded-for") ?? "").split(",").map(normalizeAddress).filter(Boolean);
  const chain = [...forwarded, peer];
  if (trust.kind === "hops") return chain[Math.max(0, chain.length - 1 - trust.hops)] as string;
  let index = chain.length - 1;
  while (index > 0 && isTrusted(trust, chain[index] as string)) index--;
  return chain[index] as string;
}

/** Whether the request reached this server through a trusted proxy (so its X-Forwarded-Host/-Proto count). */
export function viaTrustedProxy(headers: Headers, trust: TrustProxy): boolean {
  if (trust.kind === "hops") return trust.hops > 0;
  return isTrusted(trust, normalizeAddress(headers.get(PEER_HEADER) ?? ""));
}

const lastOf = (value: string | null) => value?.split(",").pop()?.trim() || null;

/**
 * The origin for absolute URLs in responses (og:url, upload_url, face URLs): PUBLIC_BASE_URL when configured;
 * otherwise the Host header, or X-Forwarded-Host/-Proto when a trusted proxy sent the request (the value the
 * nearest proxy set, the right-most). A client that forges X-Forwarded-Host only gets its own Host back.
 */
export function requestOrigin(
  headers: Headers,
  fallbackHost: string,
  trust: TrustProxy,
  configured: string | undefined,
): string {
  if (configured) return configured;
  const proxied = viaTrustedProxy(headers, trust);
  const named = (proxied && lastOf(headers.get("x-forwarded-host"))) || headers.get("host") || "";
  // A host name and port, nothing else: a Host header is client-written too.
  const host = /^[a-z0-9.-]+(:\d+)?$|^\[[0-9a-f:.]+\](:\d+)?$/i.test(named) ? named : fallbackHost;
  const proto = proxied && lastOf(headers.get("x-forwarded-proto")) === "https" ? "https" : "http";
  return `${proto}://${host}`;
}
