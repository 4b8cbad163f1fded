import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type DownloadOptions, downloadRemoteFile, isBlockedAddress, RemoteFileError } from "./index";

// These tests use real HTTP, but only ever to a server on 127.0.0.1. As a safety net every socket connect in this
// process is checked: a connection that would reach anything but loopback, or that would ask real DNS about a test
// hostname, throws before a packet is sent. Attempts are recorded so a test can also assert that a refused URL never
// got as far as connecting.

/** Test hostnames, answered without DNS traffic. "localhost" goes to the real resolver (/etc/hosts); other names fail. */
const FAKE_DNS = vi.hoisted(
  (): Record<string, string[]> => ({
    "images.example": ["127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": ["93.184.216.34", "10.0.0.1"],
  }),
);

vi.mock("node:dns/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:dns/promises")>();
  const lookup = (hostname: string, options: { all: true }) => {
    if (hostname === "localhost") return real.lookup(hostname, options);
    const fake = FAKE_DNS[hostname];
    // Fail closed: a test must never make a real DNS query for anything else.
    if (!fake) {
      return Promise.reject(Object.assign(new Error(`no fake DNS for ${hostname}`), { code: "ENOTFOUND" }));
    }
    return Promise.resolve(fake.map((address) => ({ address, family: net.isIP(address) })));
  };
  return { ...real, default: { ...real, lookup }, lookup };
});

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const connectAttempts: string[] = [];
const realConnect = net.Socket.prototype.connect;

/** Where a connect call would really go: its host, or for a name, what its `lookup` option answers (if synchronous). */
function connectTarget(args: unknown[]): { host: string; target: string } {
  // net.createConnection passes its normalised [options, callback] array as the first argument.
  const options = (Array.isArray(args[0]) ? args[0][0] : args[0]) as {
    host?: unknown;
    lookup?: unknown;
  } | null;
  const host = typeof options?.host === "string" ? options.host : "localhost";
  if (net.isIP(host) !== 0 || host === "localhost") return { host, target: host };
  let target = `${host} (via real DNS)`;
  if (typeof options?.lookup === "function") {
    const answer = (_error: unknown, address: string | { address: string }[]) => {
      target = typeof address === "string" ? address : (address[0]?.address ?? target);
    };
    options.lookup(host, {}, answer);
  }
  return { host, target };
}

function installConnectGuard(): void {
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const { host, target } = connectTarget(args);
    connectAttempts.push(host);
    if (!LOOPBACK.has(target)) throw new Error(`Test tried to connect to ${target}`);
    return Reflect.apply(realConnect, this, args) as net.Socket;
  } as typeof realConnect;
}

// ---------------------------------------------------------------------------------------------------------------
// Local test server

const PAYLOAD = randomBytes(200_000);
/** Paths the server was asked for, to prove refused downloads never reached it. */
const served: string[] = [];
/** Host headers the server received. */
const hostHeaders: string[] = [];
let server: http.Server;
let origin: string;

function handle(request: http.IncomingMessage, response: http.ServerResponse): void {
  const url = new URL(request.url ?? "/", origin);
  served.push(url.pathname);
  hostHeaders.push(request.headers.host ?? "");
  const chain = /^\/chain\/(\d+)\/file\.png$/.exec(url.pathname);

  if (chain) {
    const remaining = Number(chain[1]);
    if (remaining === 0) sendPayload(response);
    // Relative Location, resolved against the redirecting URL.
    else response.writeHead(302, { location: `../${remaining - 1}/file.png` }).end();
  } else if (url.pathname === "/image.png" || url.pathname === "/Photo.JPG") {
    sendPayload(response);
  } else if (url.pathname === "/redirect.png") {
    response.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
  } else if (url.pathname === "/declared-huge.png") {
    // Declares 5 MB and sends nothing: only the Content-Length check can refuse it without waiting.
    response.writeHead(200, { "content-type": "image/png", "content-length": 5_000_000 }).flushHeaders();
  } else if (url.pathname === "/trickle.png") {
    // Never idle, never done: only the overall deadline ends it.
    response.writeHead(200, { "content-type": "image/png" });
    const timer = setInterval(() => response.write(Buffer.alloc(10)), 20);
    response.on("close", () => clearInterval(timer));
  } else if (url.pathname === "/truncated.png") {
    // Promises the whole payload, sends a part, then drops the connection.
    response.writeHead(200, { "content-type": "image/png", "content-length": PAYLOAD.length });
    response.write(PAYLOAD.subarray(0, 1000), () => response.socket?.destroy());
  } else if (url.pathname === "/declared-large.png") {
    response.writeHead(200, { "content-type": "image/png", "content-length": 5000 }).end(Buffer.alloc(5000));
  } else if (url.pathname === "/chunked-large.png") {
    // No Content-Length: the only way to notice the size is to count while streaming.
    response.writeHead(200, { "content-type": "image/png" });
    const writeChunk = (left: number) => {
      if (response.destroyed) return;
      if (left === 0) {
        response.end();
        return;
      }
      response.write(Buffer.alloc(1000, 7));
      setTimeout(() => writeChunk(left - 1), 5);
    };
    writeChunk(10);
  } else if (url.pathname === "/playlist.mp4") {
    // An HLS playlist named like a video, pointing at a file on the server's own disk.
    response.writeHead(200, { "content-type": "video/mp4" });
    response.end(
      "#EXTM3U\n#EXTINF:10,\nfile:///data/files/api-assets/other-tenant/input.mp4\n#EXT-X-ENDLIST\n",
    );
  } else if (url.pathname === "/hang.png") {
    // Never answer.
  } else if (url.pathname === "/stall.png") {
    // Headers and a first part of the body, then silence.
    response.writeHead(200, { "content-type": "image/png", "content-length": PAYLOAD.length });
    response.write(PAYLOAD.subarray(0, 1000));
  } else {
    response.writeHead(404).end("not found");
  }
}

function sendPayload(response: http.ServerResponse): void {
  response.writeHead(200, { "content-type": "image/png", "content-length": PAYLOAD.length }).end(PAYLOAD);
}

beforeAll(async () => {
  installConnectGuard();
  server = http.createServer(handle);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  net.Socket.prototype.connect = realConnect;
});

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const EXTENSIONS = ["png", "jpg", "jpeg", "webp", "mp4"] as const;
let dir: string;
let destination: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "remote-file-test-"));
  destination = path.join(dir, "download.bin");
  connectAttempts.length = 0;
  served.length = 0;
  hostHeaders.length = 0;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Options for downloads from the local test server. */
function local(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { allowedExtensions: EXTENSIONS, maxBytes: 1_000_000, allowPrivateAddresses: true, ...extra };
}

/** Production options: no private-address escape hatch. */
function production(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { allowedExtensions: EXTENSIONS, maxBytes: 1_000_000, ...extra };
}

/**
 * The redirect seam: the test server's address is allowed, everything else goes through the production policy, so a
 * redirect to an internal address is refused exactly as in production.
 */
function onlyTestServer(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return production({ isAddressAllowed: (ip) => ip === "127.0.0.1" || !isBlockedAddress(ip), ...extra });
}

async function failure(promise: Promise<unknown>): Promise<RemoteFileError> {
  const error = await promise.then(
    () => new Error("expected the download to fail"),
    (reason: unknown) => reason,
  );
  if (!(error instanceof RemoteFileError)) throw error;
  return error;
}

async function expectNothingWritten(): Promise<void> {
  expect(await readdir(dir)).toEqual([]);
}

function redirectTo(location: string): string {
  return `${origin}/redirect.png?to=${encodeURIComponent(location)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Tests

// A per-test timeout well under the project's 120 s: a broken timeout or limit must fail fast, not hang the run.
describe("downloadRemoteFile", { timeout: 5000 }, () => {
  it("downloads a file byte for byte (test escape hatch on)", async () => {
    const result = await downloadRemoteFile(`${origin}/image.png`, destination, local());

    expect(result).toEqual({ extension: "png", bytes: PAYLOAD.length, contentType: "image/png" });
    expect((await readFile(destination)).equals(PAYLOAD)).toBe(true);
    expect(await readdir(dir)).toEqual(["download.bin"]); // no temporary file left beside it
  });

  it("returns the extension lowercased", async () => {
    const result = await downloadRemoteFile(`${origin}/Photo.JPG?size=large`, destination, local());
    expect(result.extension).toBe("jpg");
  });

  it("refuses the local server without the escape hatch, before connecting", async () => {
    const error = await failure(downloadRemoteFile(`${origin}/image.png`, destination, production()));

    expect(error.code).toBe("blocked_address");
    expect(error.message).toContain("127.0.0.1");
    expect(connectAttempts).toEqual([]);
    expect(served).toEqual([]);
    await expectNothingWritten();
  });

  describe("hostnames (answered by the fake DNS above)", () => {
    it("connects to the vetted address and keeps the hostname in the Host header", async () => {
      const { port } = new URL(origin);
      const url = `http://images.example:${port}/image.png`;
      const result = await downloadRemoteFile(url, destination, onlyTestServer());

      expect(result.bytes).toBe(PAYLOAD.length);
      expect(hostHeaders).toEqual([`images.example:${port}`]);
      expect(connectAttempts).toEqual(["images.example"]);
    });

    it("refuses a hostname that resolves to the metadata address", async () => {
      const error = await failure(
        downloadRemoteFile("http://metadata.example/x.png", destination, production()),
      );

      expect(error.code).toBe("blocked_address");
      expect(error.message).toContain("metadata.example");
      expect(error.message).not.toContain("169.254");
      expect(connectAttempts).toEqual([]);
    });

    it("refuses a hostname when any one of its addresses is blocked", async () => {
      const error = await failure(
        downloadRemoteFile("http://mixed.example/x.png", destination, production()),
      );

      expect(error.code).toBe("blocked_address");
      expect(connectAttempts).toEqual([]);
    });

    it("re-resolves and refuses a redirect to a hostname with a blocked address", async () => {
      const error = await failure(
        downloadRemoteFile(redirectTo("http://metadata.example/x.png"), destination, onlyTestServer()),
      );

      expect(error.code).toBe("blocked_address");
      expect(served).toEqual(["/redirect.png"]);
      await expectNothingWritten();
    });
  });

  it.each([
    "http://localhost/image.png",
    "http://127.0.0.1/image.png",
    "http://[::1]/image.png",
    "http://0.0.0.0/image.png",
    "http://10.0.0.1/image.png",
    "http://169.254.169.254/latest/meta-data.png",
    "http://[::ffff:127.0.0.1]/image.png",
    "http://2130706433/image.png", // 127.0.0.1 as one decimal number
    "http://0x7f.1/image.png", // 127.0.0.1 in hex shorthand
    "https://192.168.0.1/image.png",
    "http://172.16.5.4/image.png",
    "http://100.64.0.1/image.png",
    "http://[fe80::1]/image.png",
    "http://[fd00::1]/image.png",
    "http://224.0.0.1/image.png",
    "http://255.255.255.255/image.png",
  ])("refuses %s without connecting", async (url) => {
    const error = await failure(downloadRemoteFile(url, destination, production()));

    expect(error.code).toBe("blocked_address");
    expect(connectAttempts).toEqual([]);
    await expectNothingWritten();
  });

  describe("redirects", () => {
    it("follows up to 5 redirects, relative ones included", async () => {
      const result = await downloadRemoteFile(`${origin}/chain/5/file.png`, destination, local());

      expect(result.bytes).toBe(PAYLOAD.length);
      expect((await readFile(destination)).equals(PAYLOAD)).toBe(true);
      expect(served).toHaveLength(6);
    });

    it("refuses a sixth redirect", async () => {
      const error = await failure(downloadRemoteFile(`${origin}/chain/6/file.png`, destination, local()));

      expect(error.code).toBe("too_many_redirects");
      expect(served).toHaveLength(6);
      await expectNothingWritten();
    });

    it("follows a redirect that passes the address policy", async () => {
      const result = await downloadRemoteFile(
        redirectTo(`${origin}/image.png`),
        destination,
        onlyTestServer(),
      );
      expect(result.bytes).toBe(PAYLOAD.length);
    });

    it.each([
      "http://169.254.169.254/latest/meta-data.png",
      "http://10.0.0.1/internal.png",
      "http://[::1]/image.png",
      "http://[::ffff:127.0.0.1]/image.png",
    ])("re-validates the address of a redirect to %s", async (target) => {
      const error = await failure(downloadRemoteFile(redirectTo(target), destination, onlyTestServer()));

      expect(error.code).toBe("blocked_address");
      expect(served).toEqual(["/redirect.png"]); // only the first hop reached a server
      expect(connectAttempts).toEqual(["127.0.0.1"]);
      await expectNothingWritten();
    });

    it.each([
      "file:///etc/passwd",
      "ftp://127.0.0.1/image.png",
      "/no-extension",
      "/script.exe",
      "http://user:secret@127.0.0.1/image.png",
    ])("re-validates the URL of a redirect to %s", async (target) => {
      const error = await failure(downloadRemoteFile(redirectTo(target), destination, local()));

      expect(error.code).toBe("invalid_url");
      expect(error.message).toContain("redirected");
      expect(served).toEqual(["/redirect.png"]);
      await expectNothingWritten();
    });
  });

  it("reports a 404 as http_error", async () => {
    const error = await failure(downloadRemoteFile(`${origin}/missing.png`, destination, local()));

    expect(error.code).toBe("http_error");
    expect(error.message).toContain("404");
    await expectNothingWritten();
  });

  it("refuses a body whose Content-Length is over the limit", async () => {
    const error = await failure(
      downloadRemoteFile(`${origin}/declared-large.png`, destination, local({ maxBytes: 1000 })),
    );

    expect(error.code).toBe("too_large");
    await expectNothingWritten();
  });

  it("refuses a declared oversize body at the headers, without waiting for it", async () => {
    const options = local({ maxBytes: 1000, timeoutMs: 5000 });
    const error = await failure(downloadRemoteFile(`${origin}/declared-huge.png`, destination, options));

    expect(error.code).toBe("too_large");
    await expectNothingWritten();
  });

  it("stops a chunked body as soon as it passes the limit and removes the partial file", async () => {
    const error = await failure(
      downloadRemoteFile(`${origin}/chunked-large.png`, destination, local({ maxBytes: 2500 })),
    );

    expect(error.code).toBe("too_large");
    await expectNothingWritten();
  });

  it("times out on a server that never answers", async () => {
    const started = Date.now();
    const error = await failure(
      downloadRemoteFile(`${origin}/hang.png`, destination, local({ timeoutMs: 300 })),
    );

    expect(error.code).toBe("timeout");
    // Well before the 10 s overall limit (a hang would hit the test timeout instead): generous for a loaded CI.
    expect(Date.now() - started).toBeLessThan(8000);
    await expectNothingWritten();
  });

  it("times out on a body that stalls midway and removes the partial file", async () => {
    const error = await failure(
      downloadRemoteFile(`${origin}/stall.png`, destination, local({ timeoutMs: 300 })),
    );

    expect(error.code).toBe("timeout");
    await expectNothingWritten();
  });

  it("times out on the idle timeout well before the overall one", async () => {
    const started = Date.now();
    const options = local({ timeoutMs: 10_000, idleTimeoutMs: 200 });
    const error = await failure(downloadRemoteFile(`${origin}/hang.png`, destination, options));

    expect(error.code).toBe("timeout");
    // Well before the 10 s overall limit (a hang would hit the test timeout instead): generous for a loaded CI.
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it("times out on the overall deadline even when bytes keep trickling in", async () => {
    const options = local({ timeoutMs: 300, idleTimeoutMs: 5000 });
    const error = await failure(downloadRemoteFile(`${origin}/trickle.png`, destination, options));

    expect(error.code).toBe("timeout");
    await expectNothingWritten();
  });

  it("reports a connection dropped mid-body as a network error and keeps no truncated file", async () => {
    const error = await failure(downloadRemoteFile(`${origin}/truncated.png`, destination, local()));

    expect(error.code).toBe("network");
    expect(error.message).toBe("Could not download the file from 127.0.0.1.");
    await expectNothingWritten();
  });

  it("leaves an existing destination untouched when the download fails", async () => {
    await writeFile(destination, "previous");
    await failure(downloadRemoteFile(`${origin}/missing.png`, destination, local()));

    expect(await readFile(destination, "utf8")).toBe("previous");
    expect(await readdir(dir)).toEqual(["download.bin"]);
  });

  it("refuses content that is not what it is named, and stores what it is by its bytes", async () => {
    const videoOnly = (head: Buffer) => (head.subarray(4, 8).toString("latin1") === "ftyp" ? "mp4" : null);
    const error = await failure(
      downloadRemoteFile(`${origin}/playlist.mp4`, destination, local({ sniff: videoOnly })),
    );
    expect(error.code).toBe("unsupported_content");
    expect(error.message).toBe("The file at 127.0.0.1 is not an image or video this server can read.");
    await expectNothingWritten();

    const named = await downloadRemoteFile(
      `${origin}/image.png`,
      destination,
      local({ sniff: () => "webp" }),
    );
    expect(named.extension).toBe("webp");
  });

  // Which URLs are invalid is url-policy.test.ts's subject; here, that a refused one never gets near the network.
  it.each([
    "ftp://127.0.0.1/image.png",
    "http://user:pass@127.0.0.1/image.png",
    "http://127.0.0.1/setup.exe",
  ])("refuses the invalid URL %s before connecting", async (url) => {
    const error = await failure(downloadRemoteFile(url, destination, local()));

    expect(error.code).toBe("invalid_url");
    expect(connectAttempts).toEqual([]);
    await expectNothingWritten();
  });
});
