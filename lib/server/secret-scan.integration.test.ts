import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeMagicHour, startFakeMagicHour } from "../../test/support/fake-magic-hour";
import { productionBuild, type RunningServer, startServer } from "../../test/support/next-server";
import { waitForTerminal } from "../../test/support/wait-for-terminal";
import { packageFile } from "../engine/models/package-file";

/**
 * The Magic Hour token must never reach a browser or a log: the app is built and run with a sentinel token, used
 * for real against the fake Magic Hour (successes and failures), and the sentinel is searched for in the client
 * bundles, every page and API response, and everything the server printed.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const DIST = ".next-secret-scan";
const SENTINEL = `mhk_live_SENTINEL_${randomBytes(12).toString("hex")}`;
const KEY = "scan-key-0123456789";

let fake: FakeMagicHour;
let server: RunningServer;
const seen: string[] = [];

async function get(route: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${server.origin}${route}`, init);
  const body = Buffer.from(await response.clone().arrayBuffer()).toString("latin1");
  seen.push(`${route} ${response.status} ${JSON.stringify([...response.headers])}\n${body}`);
  return response;
}

/** Every poll goes through `get`, so its answers are scanned too. */
function waitFor(route: string, init: RequestInit = {}) {
  return waitForTerminal(
    async () => (await (await get(route, init)).json()) as { status: string; faces: unknown[] },
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

beforeAll(async () => {
  fake = await startFakeMagicHour({ token: SENTINEL });
  const env = { NEXT_DIST_DIR: DIST, MAGIC_HOUR_API_TOKEN: SENTINEL, MAGIC_HOUR_BASE_URL: fake.origin };
  productionBuild(env);
  server = await startServer({ ...env, API_KEYS: KEY });
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await fake?.close();
  rmSync(path.join(ROOT, DIST), { recursive: true, force: true });
});

describe("the Magic Hour token stays on the server", () => {
  it("appears in no bundle, page, API response or log line", async () => {
    const photo = readFileSync(packageFile("@vladmandic/face-api", "demo/sample2.jpg"));
    const auth = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };

    // The web app, successfully.
    await get("/");
    const { id } = (await (await get("/api/detections", { method: "POST", body: photo })).json()) as {
      id: string;
    };
    const view = await waitFor(`/api/detections/${id}`);
    expect(view.status).toBe("complete");
    await get(`/results/${id}`);
    await get(`/api/detections/${id}/faces.zip`);
    await get(`/api/detections/${id}/card.jpg`);

    // The /v1 API, successfully.
    const slots = (await (
      await get("/v1/files/upload-urls", {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ items: [{ type: "image", extension: "jpg" }] }),
      })
    ).json()) as { items: Array<{ upload_url: string; file_path: string }> };
    const slot = slots.items[0] as { upload_url: string; file_path: string };
    await fetch(slot.upload_url, { method: "PUT", body: photo });
    const created = (await (
      await get("/v1/face-detection", {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ assets: { target_file_path: slot.file_path } }),
      })
    ).json()) as { id: string };
    expect((await waitFor(`/v1/face-detection/${created.id}`, { headers: auth })).status).toBe("complete");

    // And every way Magic Hour can fail.
    for (const behaviour of ["bad-token", "no-credits", "unprocessable", "task-error"] as const) {
      fake.behaviour = behaviour;
      const failed = (await (await get("/api/detections", { method: "POST", body: photo })).json()) as {
        id: string;
      };
      expect((await waitFor(`/api/detections/${failed.id}`)).status).toBe("error");
      await get(`/results/${failed.id}`);
    }
    fake.behaviour = "normal";
    await get("/results/AAAAAAAAAAAAAAAAAAAAAA");
    await get("/v1/face-detection/AAAAAAAAAAAAAAAAAAAAAA", { headers: auth });

    // The token really was used upstream, so its absence below means something.
    expect(fake.requests.some((r) => r.authorization === `Bearer ${SENTINEL}`)).toBe(true);

    const leaks: string[] = [];
    for (const file of filesUnder(path.join(ROOT, DIST, "static"))) {
      if (readFileSync(file, "latin1").includes(SENTINEL)) leaks.push(file);
    }
    for (const response of seen) if (response.includes(SENTINEL)) leaks.push(response.slice(0, 120));
    if (server.output().includes(SENTINEL)) leaks.push("server output");
    expect(seen.length).toBeGreaterThan(20);
    // The failures above were logged, so the log was there to leak into.
    expect(server.output()).toContain('"msg":"detection failed upstream"');
    expect(leaks).toEqual([]);
  });
});
