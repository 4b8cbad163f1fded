import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeMagicHour, startFakeMagicHour } from "../../test/support/fake-magic-hour";
import { MagicHourSdk } from "../../test/support/magic-hour-sdk";
import { type RunningServer, startServer } from "../../test/support/next-server";
import { waitForTerminal } from "../../test/support/wait-for-terminal";
import { packageFile } from "../engine/models/package-file";

/**
 * The app with Magic Hour as its provider, against a fake Magic Hour that follows the published contract: the SDK
 * and the web app's own API work as in local mode, faces are copied into this server's storage, and every upstream
 * failure becomes a clear message.
 */

const KEY = "test-key-0123456789";
const TOKEN = "mhk_live_fake_token_for_tests";
process.env.MAGIC_HOUR_LOG_LEVEL = "none";

let fake: FakeMagicHour;
let server: RunningServer;
const photo = packageFile("@vladmandic/face-api", "demo/sample4.jpg");

async function webDetection(): Promise<{ id: string; view: Record<string, unknown> & { status: string } }> {
  const created = await fetch(`${server.origin}/api/detections?confidence=0.5`, {
    method: "POST",
    body: await readFile(photo),
  });
  expect(created.status).toBe(200);
  const { id } = (await created.json()) as { id: string };
  const view = await waitForTerminal<Record<string, unknown> & { status: string }>(
    `${server.origin}/api/detections/${id}`,
  );
  return { id, view };
}

beforeAll(async () => {
  fake = await startFakeMagicHour({ token: TOKEN });
  server = await startServer({
    API_KEYS: KEY,
    MAGIC_HOUR_API_TOKEN: TOKEN,
    MAGIC_HOUR_BASE_URL: fake.origin,
  });
});
afterAll(async () => {
  await server?.stop();
  await fake?.close();
});
beforeEach(() => {
  fake.behaviour = "normal";
  fake.faceCount = 3;
  fake.requests.length = 0;
});

describe("Magic Hour as the provider", () => {
  it("serves Magic Hour's SDK unchanged, with the faces copied to this server", async () => {
    const client = new MagicHourSdk({ token: KEY, baseUrl: server.origin });
    const downloadDirectory = await mkdtemp(path.join(os.tmpdir(), "mh-sdk-"));
    const result = await client.v1.faceDetection.generate(
      { assets: { targetFilePath: photo }, confidenceScore: 0.7 },
      { downloadDirectory },
    );
    expect(result.status).toBe("complete");
    expect(result.faces).toHaveLength(3);
    for (const face of result.faces) expect(face.url.startsWith(`${server.origin}/api-assets/`)).toBe(true);
    const downloaded = "downloadedPaths" in result ? result.downloadedPaths : [];
    expect(downloaded).toHaveLength(3);
    expect((await sharp(downloaded[0] as string).metadata()).format).toBe("png");
    // The app uploaded the bytes itself and created the upstream task once, with the caller's threshold.
    const lines = fake.requests.map((r) => r.line);
    expect(lines.filter((l) => l === "POST /v1/face-detection")).toHaveLength(1);
    expect(lines.some((l) => l.startsWith("PUT /storage/"))).toBe(true);
    for (const request of fake.requests.filter((r) => r.line.includes("/v1/"))) {
      expect(request.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });

  it("runs web detections upstream and keeps results after Magic Hour forgets them", async () => {
    const { id, view } = await webDetection();
    expect(view).toMatchObject({ status: "complete", provider: "magic-hour" });
    const faces = view.faces as Array<{ url: string; score: number | null; box: unknown }>;
    expect(faces).toHaveLength(3);
    expect(faces.every((f) => f.score === null && f.box === null)).toBe(true);
    expect(view.previewUrl).toBe(`/api-assets/${id}/preview.jpg`);
    const requestsBefore = fake.requests.length;
    const page = await fetch(`${server.origin}/results/${id}`);
    expect(page.status).toBe(200);
    const crop = await fetch(`${server.origin}${faces[0]?.url}`);
    expect(crop.headers.get("content-type")).toBe("image/png");
    // Viewing a shared result never calls Magic Hour on the viewer's behalf.
    expect(fake.requests.length).toBe(requestsBefore);
  });

  it("waits out 429s with Retry-After on reads, and never repeats the create", async () => {
    fake.behaviour = "rate-limited";
    const { view } = await webDetection();
    expect(view.status).toBe("complete");
    const lines = fake.requests.map((r) => r.line);
    expect(lines.filter((l) => l === "POST /v1/face-detection")).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("GET /v1/face-detection/")).length).toBeGreaterThan(4);
  });

  it.each([
    ["bad-token", /rejected this server's API token/],
    ["no-credits", /out of credits/],
    ["unprocessable", /could not process this file/],
    ["task-error", /could not detect faces/],
  ] as const)("turns upstream %s into a clear message", async (behaviour, message) => {
    fake.behaviour = behaviour;
    const { view } = await webDetection();
    expect(view.status).toBe("error");
    expect(view.error).toMatch(message);
    expect(String(view.error)).not.toContain(TOKEN);
  });

  it("says so when Magic Hour can't be reached", async () => {
    const dead = await startServer({
      API_KEYS: KEY,
      MAGIC_HOUR_API_TOKEN: TOKEN,
      MAGIC_HOUR_BASE_URL: "http://127.0.0.1:9", // discard port: nothing listens
    });
    try {
      const created = await fetch(`${dead.origin}/api/detections`, {
        method: "POST",
        body: await readFile(photo),
      });
      const { id } = (await created.json()) as { id: string };
      const view = await waitForTerminal<{ status: string; error: string | null }>(
        `${dead.origin}/api/detections/${id}`,
      );
      expect(view.status).toBe("error");
      expect(view.error).toMatch(/can't be reached/);
    } finally {
      await dead.stop();
    }
  });
});
