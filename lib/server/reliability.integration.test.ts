import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTML, pngBomb, SVG } from "../../test/support/hostile-files";
import { type RunningServer, startServer } from "../../test/support/next-server";
import { randomBytesFile } from "../../test/support/video-fixtures";
import { waitForTerminal } from "../../test/support/wait-for-terminal";
import { packageFile } from "../engine/models/package-file";

/** Hostile input, rate limits, retention, crashes and security headers, against the production build. */

const KEY = "test-key-0123456789";
const photo = (name: string) => readFileSync(packageFile("@vladmandic/face-api", `demo/${name}`));

function partFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? partFiles(full) : name.endsWith(".part") ? [full] : [];
  });
}

function settle(server: RunningServer, route: string, headers: Record<string, string> = {}) {
  return waitForTerminal<{
    status: string;
    error: string | { message: string } | null;
    faces: unknown[];
    expired?: boolean;
  }>(`${server.origin}${route}`, { headers });
}

describe("hostile input", () => {
  let server: RunningServer;
  const auth = { authorization: `Bearer ${KEY}` };
  const json = { ...auth, "content-type": "application/json" };
  beforeAll(async () => {
    server = await startServer({ API_KEYS: KEY, MAX_UPLOAD_BYTES: String(3 * 1024 * 1024) });
  });
  afterAll(() => server?.stop());

  const webUpload = (body: Uint8Array) =>
    fetch(`${server.origin}/api/detections`, { method: "POST", body: new Uint8Array(body) });
  async function apiUpload(type: string, extension: string, bytes: Uint8Array) {
    const body = new Uint8Array(bytes);
    const slot = (await (
      await fetch(`${server.origin}/v1/files/upload-urls`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ items: [{ type, extension }] }),
      })
    ).json()) as { items: Array<{ upload_url: string; file_path: string }> };
    const item = slot.items[0] as { upload_url: string; file_path: string };
    return { put: await fetch(item.upload_url, { method: "PUT", body }), filePath: item.file_path };
  }
  async function apiTask(filePath: string) {
    const created = await fetch(`${server.origin}/v1/face-detection`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ assets: { target_file_path: filePath } }),
    });
    expect(created.status).toBe(200);
    return settle(server, `/v1/face-detection/${((await created.json()) as { id: string }).id}`, auth);
  }

  it("refuses files that are not pictures with a clear 4xx, in the app and the API", async () => {
    const cases: Array<[string, Buffer, number]> = [
      ["zero bytes", Buffer.alloc(0), 400],
      ["text named .png", Buffer.from("plain text, not a picture"), 415],
      ["SVG", SVG, 415],
      ["HTML", HTML, 415],
      ["random bytes as a video", readFileSync(randomBytesFile(50_000)), 415],
    ];
    for (const [what, bytes, status] of cases) {
      const web = await webUpload(bytes);
      expect(web.status, what).toBe(status);
      expect(((await web.json()) as { message: string }).message.length, what).toBeGreaterThan(10);
      const { put } = await apiUpload(
        what.includes("video") ? "video" : "image",
        what.includes("video") ? "mp4" : "png",
        bytes,
      );
      expect(put.status, what).toBe(status);
    }
  });

  it("ends truncated pictures and a decompression bomb in error with a reason", async () => {
    const jpeg = photo("sample1.jpg");
    const png = await sharp(jpeg).resize(400).png().toBuffer();
    const cases: Array<[string, Buffer, string, RegExp]> = [
      ["truncated JPEG", jpeg.subarray(0, 4000), "jpg", /corrupt|truncated|damaged|read/i],
      ["truncated PNG", png.subarray(0, 3000), "png", /corrupt|truncated|damaged|read/i],
      ["20000×20000 PNG bomb", pngBomb(), "png", /pixels|too large|megapixel/i],
    ];
    for (const [what, bytes, extension, reason] of cases) {
      const { id } = (await (await webUpload(bytes)).json()) as { id: string };
      const web = await settle(server, `/api/detections/${id}`);
      expect(web.status, what).toBe("error");
      expect(String(web.error), what).toMatch(reason);
      const { put, filePath } = await apiUpload("image", extension, bytes);
      expect(put.status, what).toBe(200);
      const task = await apiTask(filePath);
      expect(task.status, what).toBe("error");
      expect((task.error as { message: string }).message, what).toMatch(reason);
    }
  });

  it("refuses an oversized upload while it streams", async () => {
    const big = new Uint8Array(4 * 1024 * 1024);
    const stream = () =>
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < big.length; i += 65536) controller.enqueue(big.subarray(i, i + 65536));
          controller.close();
        },
      });
    const web = await fetch(`${server.origin}/api/detections`, {
      method: "POST",
      body: stream(),
      duplex: "half",
    } as RequestInit);
    expect(web.status).toBe(413);
  });

  it("refuses path traversal in file paths, ids and asset URLs", async () => {
    for (const target of ["api-assets/../../etc/passwd", "../facefinder.sqlite", "api-assets/%2e%2e/x.jpg"]) {
      const response = await fetch(`${server.origin}/v1/face-detection`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ assets: { target_file_path: target } }),
      });
      expect(response.status, target).toBe(422);
    }
    for (const route of [
      "/v1/face-detection/..%2F..%2Fetc%2Fpasswd",
      "/api/detections/..%2Ffacefinder.sqlite",
      "/api-assets/..%2F..%2F/facefinder.sqlite",
      "/results/..%2F..%2Fetc%2Fpasswd",
    ]) {
      const response = await fetch(`${server.origin}${route}`, { headers: auth });
      expect(response.status, route).toBe(404);
    }
  });

  it("never fetches URLs on loopback, private or link-local addresses", async () => {
    for (const url of [
      `${server.origin}/samples/party.jpg`,
      "http://10.0.0.1/photo.jpg",
      "http://169.254.169.254/latest/meta-data/photo.jpg",
      "http://[::1]/photo.jpg",
      "http://0x7f000001/photo.jpg",
    ]) {
      const task = await apiTask(url);
      expect(task.status, url).toBe("error");
      expect((task.error as { message: string }).message, url).toMatch(/address|not allowed|private/i);
    }
  });

  it("answers malformed JSON, wrong content types and huge bodies with 4xx", async () => {
    const post = (body: string, type = "application/json") =>
      fetch(`${server.origin}/v1/face-detection`, {
        method: "POST",
        headers: { ...auth, "content-type": type },
        body,
      });
    expect((await post("{not json")).status).toBe(400);
    expect((await post('{"assets": [1, 2, 3]}')).status).toBe(400);
    expect((await post("target_file_path=x", "application/x-www-form-urlencoded")).status).toBe(415);
    expect((await post(JSON.stringify({ assets: { target_file_path: "x".repeat(2_000_000) } }))).status).toBe(
      413,
    );
  });

  it("keeps serving, with nothing left half-written", async () => {
    expect((await fetch(`${server.origin}/api/health`)).status).toBe(200);
    expect(partFiles(server.dataDir)).toEqual([]);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After per API key and per client address", async () => {
    const server = await startServer({
      API_KEYS: `${KEY},other-key-0123456789`,
      RATE_LIMIT_PER_KEY: "3",
      RATE_LIMIT_PER_ADDRESS: "5",
    });
    try {
      const ask = (key: string) =>
        fetch(`${server.origin}/v1/files/upload-urls`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ items: [{ type: "image", extension: "jpg" }] }),
        });
      for (let i = 0; i < 3; i++) expect((await ask(KEY)).status).toBe(200);
      const limited = await ask(KEY);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await limited.json()) as { message: string }).message).toMatch(/Too many requests/);
      // Another key has its own allowance, until the address's runs out.
      expect((await ask("other-key-0123456789")).status).toBe(200);
      expect((await ask("other-key-0123456789")).status).toBe(200);
      expect((await ask("other-key-0123456789")).status).toBe(429);
    } finally {
      await server.stop();
    }
  });
});

describe("retention", () => {
  it("deletes old results and says so on their share page", async () => {
    // About 1 s of retention, swept every second.
    const server = await startServer({
      API_KEYS: KEY,
      RETENTION_DAYS: "0.00001",
      RETENTION_SWEEP_SECONDS: "1",
    });
    try {
      const { id } = (await (
        await fetch(`${server.origin}/api/detections`, { method: "POST", body: photo("sample3.jpg") })
      ).json()) as { id: string };
      expect((await settle(server, `/api/detections/${id}`)).status).toBe("complete");
      const files = path.join(server.dataDir, "files/api-assets", id);
      let view = await settle(server, `/api/detections/${id}`);
      for (let i = 0; i < 50 && !view.expired; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        view = await settle(server, `/api/detections/${id}`);
      }
      expect(view.expired).toBe(true);
      expect(view.faces).toEqual([]);
      expect(existsSync(files)).toBe(false);
      const page = await (await fetch(`${server.origin}/results/${id}`)).text();
      expect(page).toContain("This result has expired.");
    } finally {
      await server.stop();
    }
  });
});

describe("crash safety", () => {
  it("after kill -9, every task reaches a terminal state and nothing finished is lost", async () => {
    const first = await startServer({ API_KEYS: KEY });
    const ids: string[] = [];
    for (const name of [
      "sample1.jpg",
      "sample2.jpg",
      "sample3.jpg",
      "sample4.jpg",
      "sample5.jpg",
      "sample6.jpg",
    ]) {
      const created = await fetch(`${first.origin}/api/detections`, { method: "POST", body: photo(name) });
      ids.push(((await created.json()) as { id: string }).id);
    }
    // Let the first finish, then kill the server mid-queue.
    const done = await settle(first, `/api/detections/${ids[0]}`);
    expect(done.status).toBe("complete");
    await first.stop("SIGKILL");

    const second = await startServer({ API_KEYS: KEY }, first.dataDir);
    try {
      const expected = [3, 3, 3, 4, 5, 4];
      for (const [i, id] of ids.entries()) {
        const view = await settle(second, `/api/detections/${id}`);
        expect(view.status, id).toBe("complete");
        expect(view.faces.filter((f) => (f as { score: number }).score >= 0.5).length, id).toBe(expected[i]);
      }
      expect(partFiles(second.dataDir)).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});

describe("security headers", () => {
  it("pages carry a nonce-based CSP that forbids framing; API answers forbid everything", async () => {
    const server = await startServer({ API_KEYS: KEY });
    try {
      const home = await fetch(`${server.origin}/`);
      const csp = home.headers.get("content-security-policy") ?? "";
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeTruthy();
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      const html = await home.text();
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
      expect(home.headers.get("x-content-type-options")).toBe("nosniff");
      expect(home.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      const api = await fetch(`${server.origin}/api/health`);
      expect(api.headers.get("content-security-policy")).toContain("default-src 'none'");
    } finally {
      await server.stop();
    }
  });
});
