import { describe, expect, it } from "vitest";
import { clientAddress, PEER_HEADER, parseTrustProxy, requestOrigin } from "./client-address";
import { escapeMalformedPercents } from "./http-hooks";

const headers = (peer: string, extra: Record<string, string> = {}) =>
  new Headers({ [PEER_HEADER]: peer, ...extra });

describe("clientAddress", () => {
  it("uses the socket's address and ignores X-Forwarded-For when no proxy is trusted", () => {
    const none = parseTrustProxy(undefined);
    expect(clientAddress(headers("::ffff:203.0.113.7", { "x-forwarded-for": "10.9.8.7" }), none)).toBe(
      "203.0.113.7",
    );
    expect(clientAddress(headers("2001:db8::1"), none)).toBe("2001:db8::1");
    expect(clientAddress(new Headers({ "x-forwarded-for": "10.9.8.7" }), none)).toBe("unknown");
  });

  it("walks left past a number of trusted hops", () => {
    const one = parseTrustProxy("1");
    // The client forged "1.1.1.1"; the proxy appended the address it saw.
    const forged = { "x-forwarded-for": "1.1.1.1, 198.51.100.20" };
    expect(clientAddress(headers("127.0.0.1", forged), one)).toBe("198.51.100.20");
    expect(clientAddress(headers("127.0.0.1", forged), parseTrustProxy("2"))).toBe("1.1.1.1");
    // More hops trusted than the chain has: the left-most entry.
    expect(clientAddress(headers("127.0.0.1", forged), parseTrustProxy("5"))).toBe("1.1.1.1");
    expect(clientAddress(headers("127.0.0.1"), one)).toBe("127.0.0.1");
  });

  it("walks left past trusted addresses and CIDR ranges, and stops at the first untrusted one", () => {
    const list = parseTrustProxy("127.0.0.1, 10.0.0.0/8, fd00::/8");
    const chain = { "x-forwarded-for": "6.6.6.6, 198.51.100.20, 10.1.2.3" };
    expect(clientAddress(headers("::ffff:127.0.0.1", chain), list)).toBe("198.51.100.20");
    expect(clientAddress(headers("fd00::5", chain), list)).toBe("198.51.100.20");
    // The peer itself is not a proxy: its forwarded header is the client's own writing.
    expect(clientAddress(headers("203.0.113.9", chain), list)).toBe("203.0.113.9");
  });

  it("refuses a TRUST_PROXY that is neither a count nor addresses", () => {
    expect(() => parseTrustProxy("proxy.example")).toThrow(/TRUST_PROXY/);
    expect(() => parseTrustProxy("10.0.0.0/40")).toThrow(/prefix/);
    expect(parseTrustProxy("0")).toEqual({ kind: "none" });
  });
});

describe("requestOrigin", () => {
  const none = parseTrustProxy(undefined);
  it("believes X-Forwarded-Host only from a trusted proxy", () => {
    const forged = headers("203.0.113.7", { host: "faces.example:3000", "x-forwarded-host": "evil.example" });
    expect(requestOrigin(forged, "localhost", none, undefined)).toBe("http://faces.example:3000");
    const proxied = headers("127.0.0.1", {
      host: "127.0.0.1:3000",
      "x-forwarded-host": "evil.example, faces.example",
      "x-forwarded-proto": "https",
    });
    expect(requestOrigin(proxied, "localhost", parseTrustProxy("127.0.0.1"), undefined)).toBe(
      "https://faces.example",
    );
    expect(requestOrigin(proxied, "localhost", none, undefined)).toBe("http://127.0.0.1:3000");
  });

  it("prefers PUBLIC_BASE_URL, and never echoes a Host that isn't a host name", () => {
    expect(requestOrigin(headers("1.2.3.4"), "localhost", none, "https://faces.example")).toBe(
      "https://faces.example",
    );
    const odd = headers("1.2.3.4", { host: "evil.example/<script>" });
    expect(requestOrigin(odd, "localhost:3000", none, undefined)).toBe("http://localhost:3000");
  });
});

describe("escapeMalformedPercents", () => {
  it("leaves valid paths alone and escapes the percent signs of a malformed one", () => {
    expect(escapeMalformedPercents("/api/detections/abc?x=%zz")).toBe("/api/detections/abc?x=%zz");
    expect(escapeMalformedPercents("/results/caf%C3%A9")).toBe("/results/caf%C3%A9");
    expect(escapeMalformedPercents("/api/detections/%E0%A4%A?a=1")).toBe(
      "/api/detections/%25E0%25A4%25A?a=1",
    );
    expect(escapeMalformedPercents("/results/%zz")).toBe("/results/%25zz");
  });
});
