import "server-only";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { RemoteFileError } from "./remote-file-error";
import { bareHostname } from "./url-policy";

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

const ipv4Ranges = (cidrs: readonly string[]) => cidrs.map((cidr) => ipaddr.IPv4.parseCIDR(cidr));
const ipv6Ranges = (cidrs: readonly string[]) => cidrs.map((cidr) => ipaddr.IPv6.parseCIDR(cidr));

// The ranges are spelled out rather than taken from ipaddr.js's range() names: this list is the policy, and it
// must not widen or narrow with a library update.

/** IPv4 ranges that are not the public internet (RFC 6890 special-purpose registry and friends). */
const BLOCKED_IPV4 = ipv4Ranges([
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
]);

const BLOCKED_IPV6 = ipv6Ranges([
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
]);

/** IPv6 ranges whose last 32 bits are an IPv4 address the packets really go to: that address must pass too. */
const IPV4_EMBEDDING_IPV6 = ipv6Ranges([
  "::/96", // deprecated IPv4-compatible (also covers :: and ::1, whose embedded 0.0.0.x is blocked)
  "::ffff:0:0/96", // IPv4-mapped, e.g. ::ffff:127.0.0.1
  "::ffff:0:0:0/96", // IPv4-translated (SIIT)
  "64:ff9b::/96", // well-known NAT64 prefix
]);

const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR("2002::/16"); // 6to4: the IPv4 address sits in bits 16–47

/**
 * True when `ip` must not be connected to: loopback, private, link-local, unspecified, CGNAT, multicast, reserved,
 * documentation, and IPv6 forms that embed such an IPv4 address (::ffff:127.0.0.1, 64:ff9b::a00:1, 2002:7f00:1::).
 * Anything that is not an IP address is blocked too: fail closed.
 */
export function isBlockedAddress(ip: string): boolean {
  // node:net admits only the standard notations; ipaddr.js alone would also read shorthands such as "127.1".
  const family = isIP(ip);
  if (family === 4) return inAny(ipaddr.IPv4.parse(ip), BLOCKED_IPV4);
  if (family !== 6) return true;
  // The zone ("%eth0") says which interface, not where: it plays no part in the range.
  const address = ipaddr.IPv6.parse(ip.split("%")[0] ?? "");
  if (inAny(address, BLOCKED_IPV6)) return true;
  const embedded = embeddedIPv4(address);
  return embedded !== null && inAny(embedded, BLOCKED_IPV4);
}

function embeddedIPv4(address: IPv6): IPv4 | null {
  const bytes = address.toByteArray();
  if (inAny(address, IPV4_EMBEDDING_IPV6)) return new ipaddr.IPv4(bytes.slice(12, 16));
  if (address.match(SIX_TO_FOUR)) return new ipaddr.IPv4(bytes.slice(2, 6));
  return null;
}

function inAny<T extends IPv4 | IPv6>(address: T, ranges: readonly [T, number][]): boolean {
  return ranges.some((range) => address.match(range));
}

/**
 * Resolve the URL's host and return the address to connect to. Every resolved address must pass, not just the
 * first: a host listing one public and one private address could otherwise be used to reach the private one.
 */
export async function vetHost(
  url: URL,
  isAddressAllowed: (ip: string) => boolean,
  signal: AbortSignal,
): Promise<string> {
  const hostname = bareHostname(url);
  const addresses = isIP(hostname) !== 0 ? [hostname] : await resolveHost(url, signal);
  const [first] = addresses;
  if (first === undefined) {
    throw new RemoteFileError("network", `Could not resolve the host ${url.hostname}.`);
  }
  if (!addresses.every((address) => isAddressAllowed(address))) {
    throw new RemoteFileError(
      "blocked_address",
      `Downloads from ${url.hostname} are not allowed: it points to a private or reserved network address.`,
    );
  }
  return first;
}

async function resolveHost(url: URL, signal: AbortSignal): Promise<string[]> {
  try {
    const results = await untilAborted(lookup(bareHostname(url), { all: true, verbatim: true }), signal);
    return results.map((result) => result.address);
  } catch (error) {
    if (error instanceof RemoteFileError) throw error;
    throw new RemoteFileError("network", `Could not resolve the host ${url.hostname}.`, { cause: error });
  }
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
