import { mkdtemp, readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiDeployment, type ApiMode, embeddedMode, scaleOutMode } from "../../test/support/api-modes";
import { type MagicHourClientClass, MagicHourSdk } from "../../test/support/magic-hour-sdk";
import { type RunningServer, startServer } from "../../test/support/next-server";
import { makeVideo } from "../../test/support/video-fixtures";
import { waitForTerminal } from "../../test/support/wait-for-terminal";
import { packageFile } from "../engine/models/package-file";
import { authenticate } from "./auth";
import { openDatabase } from "./database";
import { sqliteTaskStore } from "./task-store";
import { uploadSigner } from "./upload-signing";

/**
 * Magic Hour's contract against the production build (`next start`), driven by Magic Hour's own SDK where it
 * can be and by plain HTTP for the error paths.
 */

const KEY = "test-key-0123456789";
const OTHER_KEY = "other-key-0123456789";
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
process.env.MAGIC_HOUR_LOG_LEVEL = "none";

let server: RunningServer;
let deployment: ApiDeployment;
let client: InstanceType<MagicHourClientClass>;
const photo = (name: string) => packageFile("@vladmandic/face-api", `demo/${name}`);

const api = (route: string, init: RequestInit & { key?: string | null } = {}) => {
  const { key = KEY, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key) headers.set("authorization", `Bearer ${key}`);
  if (rest.body && !headers.has("content-type")) headers.set("content-type", "application/json");
  return fetch(`${server.origin}${route}`, { ...rest, headers });
};
const json = (body: unknown) => JSON.stringify(body);

async function uploadUrl(extension = "jpg", type = "image") {
  const response = await api("/v1/files/upload-urls", {
    method: "POST",
    body: json({ items: [{ type, extension }] }),
  });
  expect(response.status).toBe(200);
  return (
    (await response.json()) as { items: Array<{ upload_url: string; file_path: string; expires_at: string }> }
  ).items[0] as { upload_url: string; file_path: string; expires_at: string };
}

function waitForTask(id: string, key = KEY) {
  return waitForTerminal<{
    status: string;
    faces: Array<{ path: string; url: string; score: number }>;
    error?: { message: string };
  }>(`${server.origin}/v1/face-detection/${id}`, { headers: { authorization: `Bearer ${key}` } });
}

/** Videos made before the server starts: ffmpeg blocks this process, past the server's keep-alive timeout. */
let zoomPanClip: string;
let shortClip: string;

/** Each mode defines the whole suite; the modes run one after the other, each with its own server. */
function apiSuite(mode: ApiMode) {
  describe.runIf(mode.ready)(`the API, ${mode.name}`, () => {
    beforeAll(async () => {
      zoomPanClip = makeVideo([
        { photo: 5, seconds: 2, move: "zoom" },
        { photo: 3, seconds: 2, move: "pan" },
      ]);
      shortClip = makeVideo([{ photo: 2, seconds: 1, move: "far" }]);
      deployment = await mode.start({
        API_KEYS: `${KEY}, ${OTHER_KEY}`,
        MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      });
      server = deployment.server;
      client = new MagicHourSdk({ token: KEY, baseUrl: server.origin });
    });
    afterAll(() => deployment?.stop());

    describe("Magic Hour SDK against this server", () => {
      it("generate() uploads a photo, waits, and downloads one PNG per face", async () => {
        const downloadDirectory = await mkdtemp(path.join(os.tmpdir(), "sdk-"));
        const result = await client.v1.faceDetection.generate(
          { assets: { targetFilePath: photo("sample4.jpg") }, confidenceScore: 0.5 },
          { downloadDirectory },
        );
        expect(result.status).toBe("complete");
        expect(result.creditsCharged).toBe(0);
        expect(result.faces).toHaveLength(4);
        expect(result.faces.map((f) => path.basename(f.path))).toEqual([
          "0-0.png",
          "0-1.png",
          "0-2.png",
          "0-3.png",
        ]);
        const downloaded = "downloadedPaths" in result ? result.downloadedPaths : [];
        expect(downloaded).toHaveLength(4);
        expect((await readdir(downloadDirectory)).sort()).toEqual([
          "0-0.png",
          "0-1.png",
          "0-2.png",
          "0-3.png",
        ]);
        for (const file of downloaded) {
          const meta = await sharp(await readFile(file)).metadata();
          expect(meta.format).toBe("png");
          expect(meta.width).toBe(meta.height);
        }
      });

      it("create() and get() poll a task on an uploaded file to completion", async () => {
        const { upload_url, file_path } = await uploadUrl("jpg");
        expect(
          (await fetch(upload_url, { method: "PUT", body: await readFile(photo("sample5.jpg")) })).status,
        ).toBe(200);
        const created = await client.v1.faceDetection.create({
          assets: { targetFilePath: file_path },
          confidenceScore: 0.5,
        });
        expect(created.creditsCharged).toBe(0);
        let task = await client.v1.faceDetection.get({ id: created.id });
        expect(["queued", "rendering", "complete"]).toContain(task.status);
        task = await waitForTerminal(() => client.v1.faceDetection.get({ id: created.id }));
        expect(task.status).toBe("complete");
        expect(task.faces).toHaveLength(5);
        for (const face of task.faces) {
          expect(face.path).toMatch(new RegExp(`^api-assets/${created.id}/0-\\d+\\.png$`));
          expect(face.url).toBe(`${server.origin}/${face.path}`);
        }
      });

      it("upload-urls answers in request order with signed, expiring URLs", async () => {
        const items = await client.v1.files.uploadUrls.create({
          items: [
            { type: "image", extension: "png" },
            { type: "video", extension: "mp4" },
          ],
        });
        expect(items.items).toHaveLength(2);
        expect(items.items[0]?.filePath).toMatch(/^api-assets\/[\w-]{22}\/input\.png$/);
        expect(items.items[1]?.filePath).toMatch(/\.mp4$/);
        expect(new Date(items.items[0]?.expiresAt ?? "").getTime()).toBeGreaterThan(Date.now());
      });
    });

    describe("videos", () => {
      it("generate() on an mp4 returns one face per distinct person, named <frame>-<index>.png", async () => {
        const result = await client.v1.faceDetection.generate(
          { assets: { targetFilePath: zoomPanClip }, confidenceScore: 0.5 },
          { downloadOutputs: false },
        );
        expect(result.status).toBe("complete");
        // sample5 has 5 people; the pan over sample3 shows 2 of its 3.
        expect(result.faces.length).toBe(7);
        const names = result.faces.map((f) => path.basename(f.path));
        for (const [index, name] of names.entries())
          expect(name).toMatch(new RegExp(`^\\d+-${index}\\.png$`));
        const raw = (await (await api(`/v1/face-detection/${result.id}`)).json()) as {
          kind: string;
          duration: number;
          progress: number;
          faces: Array<{ frame: number; time: number; appearances: Array<{ start: number; end: number }> }>;
        };
        expect(raw).toMatchObject({ kind: "video", duration: 4, progress: 1 });
        for (const face of raw.faces) {
          expect(face.appearances.length).toBeGreaterThan(0);
          expect(face.time).toBeGreaterThanOrEqual(face.appearances[0]?.start ?? 0);
        }
      });

      it("a broken video ends in error with a reason", async () => {
        const { upload_url, file_path } = await uploadUrl("mp4", "video");
        const bytes = await readFile(shortClip);
        // A valid header with the rest cut off.
        expect((await fetch(upload_url, { method: "PUT", body: bytes.subarray(0, 1500) })).status).toBe(200);
        const created = await api("/v1/face-detection", {
          method: "POST",
          body: json({ assets: { target_file_path: file_path } }),
        });
        const task = await waitForTask(((await created.json()) as { id: string }).id);
        expect(task.status).toBe("error");
        expect(task.error?.message).toMatch(/damaged|not a video/);
      });
    });

    describe("the extra fields", () => {
      it("reports boxes, scores and landmarks beside Magic Hour's fields, and the confidence filters faces", async () => {
        const { upload_url, file_path } = await uploadUrl("jpg");
        await fetch(upload_url, { method: "PUT", body: await readFile(photo("sample1.jpg")) });
        const strict = await api("/v1/face-detection", {
          method: "POST",
          body: json({ assets: { target_file_path: file_path }, confidence_score: 0.95 }),
        });
        const lenient = await api("/v1/face-detection", {
          method: "POST",
          body: json({ assets: { target_file_path: file_path }, confidence_score: 0.5 }),
        });
        const strictTask = await waitForTask(((await strict.json()) as { id: string }).id);
        const task = (await waitForTask(((await lenient.json()) as { id: string }).id)) as Awaited<
          ReturnType<typeof waitForTask>
        > & {
          width: number;
          height: number;
          kind: string;
          faces: Array<{ box: unknown; landmarks: unknown[] }>;
        };
        expect(task.faces).toHaveLength(3);
        expect(strictTask.faces.length).toBeLessThan(3);
        expect(task).toMatchObject({ kind: "image", width: 1920, height: 1280, credits_charged: 0 });
        expect(task.faces[0]).toMatchObject({ box: expect.any(Object), score: expect.any(Number) });
        expect(task.faces[0]?.landmarks).toHaveLength(6);
      });
    });

    describe("serving crops", () => {
      it("serves crops as immutable PNGs without a token, and nothing outside the store", async () => {
        const result = await client.v1.faceDetection.generate(
          { assets: { targetFilePath: photo("sample3.jpg") } },
          { downloadOutputs: false },
        );
        const url = result.faces[0]?.url ?? "";
        const response = await fetch(url);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("image/png");
        expect(response.headers.get("cache-control")).toContain("immutable");
        for (const probe of [
          "/api-assets/..%2f..%2fetc/passwd",
          "/api-assets/%2e%2e/facefinder.sqlite",
          "/api-assets/x/..%2Ffacefinder.sqlite",
          `/api-assets/${result.id}/nothing.png`,
        ]) {
          expect((await fetch(`${server.origin}${probe}`)).status, probe).toBe(404);
        }
      });
    });

    describe("errors, as the contract shapes them", () => {
      it("401 without a key or with a wrong one", async () => {
        for (const key of [null, "not-a-configured-key"]) {
          const response = await api("/v1/face-detection", {
            key,
            method: "POST",
            body: json({ assets: {} }),
          });
          expect(response.status).toBe(401);
          expect(await response.json()).toEqual({ message: "Unauthorized" });
        }
        expect((await api("/v1/files/upload-urls", { key: null, method: "POST", body: "{}" })).status).toBe(
          401,
        );
        expect((await api("/v1/face-detection/abc", { key: null })).status).toBe(401);
      });

      it("400 for a missing body, bad JSON and schema errors, naming the field", async () => {
        const missing = await api("/v1/face-detection", { method: "POST" });
        expect(missing.status).toBe(400);
        expect(await missing.json()).toEqual({ message: "Missing request body" });
        const badJson = await api("/v1/face-detection", { method: "POST", body: "{oops" });
        expect(badJson.status).toBe(400);
        const noPath = await api("/v1/face-detection", { method: "POST", body: json({ assets: {} }) });
        expect(noPath.status).toBe(400);
        expect(((await noPath.json()) as { message: string }).message).toContain("assets.target_file_path");
        const badScore = await api("/v1/face-detection", {
          method: "POST",
          body: json({ assets: { target_file_path: "api-assets/x/input.jpg" }, confidence_score: 2 }),
        });
        expect(badScore.status).toBe(400);
        expect(((await badScore.json()) as { message: string }).message).toContain("confidence_score");
      });

      it("422 for a file that was never uploaded", async () => {
        const { file_path } = await uploadUrl("png");
        for (const target of [file_path, "api-assets/nope/input.jpg"]) {
          const response = await api("/v1/face-detection", {
            method: "POST",
            body: json({ assets: { target_file_path: target } }),
          });
          expect(response.status).toBe(422);
          expect(await response.json()).toEqual({ message: "Unable to trigger face detection" });
        }
      });

      it("422 for an unknown upload type or extension, listing the valid ones", async () => {
        for (const item of [
          { type: "audio", extension: "mp3" },
          { type: "image", extension: "gif" },
          { type: "video", extension: "png" },
        ]) {
          const response = await api("/v1/files/upload-urls", {
            method: "POST",
            body: json({ items: [item] }),
          });
          expect(response.status).toBe(422);
          const { message } = (await response.json()) as { message: string };
          expect(message).toContain("png, jpg, jpeg, jfif, heic, heif, webp, avif, jp2, tiff, tif, bmp");
          expect(message).toContain("mp4, m4v, mov, webm");
        }
      });

      it("404 for an unknown task, and for another key's task", async () => {
        const unknown = await api("/v1/face-detection/AAAAAAAAAAAAAAAAAAAAAA");
        expect(unknown.status).toBe(404);
        expect(await unknown.json()).toEqual({ message: "Not Found" });
        const created = await client.v1.faceDetection.generate(
          { assets: { targetFilePath: photo("sample6.jpg") } },
          { waitForCompletion: false, downloadOutputs: false },
        );
        expect((await api(`/v1/face-detection/${created.id}`, { key: OTHER_KEY })).status).toBe(404);
      });

      it("a second PUT to the same URL is refused; a forged, expired or tampered URL is refused", async () => {
        const { upload_url } = await uploadUrl("jpg");
        const bytes = await readFile(photo("sample2.jpg"));
        expect((await fetch(upload_url, { method: "PUT", body: bytes })).status).toBe(200);
        const again = await fetch(upload_url, { method: "PUT", body: bytes });
        expect(again.status).toBe(409);

        const fresh = new URL((await uploadUrl("jpg")).upload_url);
        const tampered = new URL(fresh);
        tampered.searchParams.set("expires", String(Number(fresh.searchParams.get("expires")) + 3600));
        expect((await fetch(tampered, { method: "PUT", body: bytes })).status).toBe(403);

        // An expired URL with a valid signature: signed here with the server's own key, as the server would have.
        const id = fresh.pathname.split("/").at(-1) as string;
        const past = Math.floor(Date.now() / 1000) - 10;
        const signature = uploadSigner(await deployment.signingKey()).sign(id, past);
        const expired = await fetch(`${server.origin}/uploads/${id}?expires=${past}&signature=${signature}`, {
          method: "PUT",
          body: bytes,
        });
        expect(expired.status).toBe(403);
        expect(((await expired.json()) as { message: string }).message).toMatch(/expired/);
      });

      it("refuses an oversized upload while streaming and keeps the slot usable", async () => {
        const { upload_url, file_path } = await uploadUrl("jpg");
        const tooBig = new Uint8Array(MAX_UPLOAD_BYTES + 1024);
        const stream = new ReadableStream({
          start(controller) {
            for (let offset = 0; offset < tooBig.length; offset += 65536)
              controller.enqueue(tooBig.subarray(offset, offset + 65536));
            controller.close();
          },
        });
        const response = await fetch(upload_url, {
          method: "PUT",
          body: stream,
          duplex: "half",
        } as RequestInit);
        expect(response.status).toBe(413);
        expect(await deployment.storedUnder(file_path.split("/")[1] as string)).toEqual([]);
        expect(
          (await fetch(upload_url, { method: "PUT", body: await readFile(photo("sample2.jpg")) })).status,
        ).toBe(200);
      });

      it("refuses content that is not the declared kind", async () => {
        const { upload_url } = await uploadUrl("png");
        const response = await fetch(upload_url, { method: "PUT", body: "just some text, not a picture" });
        expect(response.status).toBe(415);
        expect(((await response.json()) as { message: string }).message).toContain("not a image");
      });

      it("a file that can't be decoded ends the task in error with a reason, and the server keeps serving", async () => {
        const { upload_url, file_path } = await uploadUrl("jpg");
        const jpeg = await readFile(photo("sample1.jpg"));
        expect((await fetch(upload_url, { method: "PUT", body: jpeg.subarray(0, 2000) })).status).toBe(200);
        const created = await api("/v1/face-detection", {
          method: "POST",
          body: json({ assets: { target_file_path: file_path } }),
        });
        const task = await waitForTask(((await created.json()) as { id: string }).id);
        expect(task.status).toBe("error");
        expect(task.error?.message).toMatch(/corrupt|truncated|decode|read/i);
        expect(task.faces).toEqual([]);
        expect((await fetch(`${server.origin}/api/health`)).status).toBe(200);
      });

      it("a URL to a private address ends in error without being fetched", async () => {
        const created = await api("/v1/face-detection", {
          method: "POST",
          body: json({ assets: { target_file_path: `${server.origin}/api-assets/x/input.jpg` } }),
        });
        expect(created.status).toBe(200);
        const task = await waitForTask(((await created.json()) as { id: string }).id);
        expect(task.status).toBe("error");
        expect(task.error?.message).toMatch(/address|private|not allowed/i);
      });

      it("a URL without a supported extension is refused at once", async () => {
        const response = await api("/v1/face-detection", {
          method: "POST",
          body: json({ assets: { target_file_path: "https://example.com/photo" } }),
        });
        expect(response.status).toBe(422);
      });
    });

    // One process's restart; a worker that dies mid-job is the worker tests' case (worker-process.integration).
    describe.runIf(mode.name === "embedded")("restarts", () => {
      it("resumes queued and interrupted tasks when the server starts again", async () => {
        const dataDir = await mkdtemp(path.join(os.tmpdir(), "facefinder-restart-"));
        const first = await startServer({ API_KEYS: KEY }, dataDir);
        const firstClient = new MagicHourSdk({ token: KEY, baseUrl: first.origin });
        const { items } = await firstClient.v1.files.uploadUrls.create({
          items: [{ type: "image", extension: "jpg" }],
        });
        const slot = items[0] as { uploadUrl: string; filePath: string };
        await fetch(slot.uploadUrl, { method: "PUT", body: await readFile(photo("sample6.jpg")) });
        await first.stop();

        // Two tasks the stopped server never ran: one queued, one caught mid-way ('rendering'), recorded through the
        // server's own store under the owner id the API gives the key.
        const asKey = new Request(first.origin, { headers: { authorization: `Bearer ${KEY}` } });
        const record = { owner: authenticate(asKey, [KEY]), source: slot.filePath, inputKey: slot.filePath };
        const db = openDatabase(path.join(dataDir, "facefinder.sqlite"));
        const tasks = sqliteTaskStore(db);
        for (const id of ["queuedTaskAAAAAAAAAAAA", "renderingTaskAAAAAAAAA"]) {
          tasks.create({ id, ...record, kind: "image", confidence: 0.5, provider: "local" });
        }
        expect(tasks.markRendering("renderingTaskAAAAAAAAA")).toBe(true);
        db.close();

        const second = await startServer({ API_KEYS: KEY }, dataDir);
        try {
          const secondClient = new MagicHourSdk({ token: KEY, baseUrl: second.origin });
          for (const id of ["queuedTaskAAAAAAAAAAAA", "renderingTaskAAAAAAAAA"]) {
            const task = await waitForTerminal(() => secondClient.v1.faceDetection.get({ id }));
            expect(task.status).toBe("complete");
            expect(task.faces).toHaveLength(4);
          }
        } finally {
          await second.stop();
        }
      });
    });
  });
}

apiSuite(embeddedMode);
apiSuite(scaleOutMode("API integration, scale-out"));
