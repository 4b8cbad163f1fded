import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../test/support/next-server";
import { responseChecker } from "../../test/support/openapi-check";
import { makeVideo } from "../../test/support/video-fixtures";
import { waitForTerminal } from "../../test/support/wait-for-terminal";
import { openApiDocument } from "../api/openapi";

/**
 * The production server against its own OpenAPI document: real uploads, detections and errors, each body validated
 * against the schema the document gives for its operation and status; the document and the /docs page as served;
 * the request log lines and request ids; 405 and unknown paths.
 */

const KEY = "contract-test-key-1";
const ROOT = path.resolve(import.meta.dirname, "../..");
const PHOTO = readFileSync(path.join(ROOT, "public/samples/friends.jpg"));
const document = openApiDocument();
const check = responseChecker(document);

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ API_KEYS: KEY });
});

afterAll(async () => {
  await server?.stop();
});

const auth = { Authorization: `Bearer ${KEY}` };
const jsonHeaders = { ...auth, "Content-Type": "application/json" };

/** A request whose answer is checked against the document; returns the response and its parsed body. */
async function call(
  pathTemplate: string,
  method: string,
  url: string,
  init: RequestInit = {},
): Promise<{ response: Response; body: unknown }> {
  const response = await fetch(`${server.origin}${url}`, { ...init, method });
  const text = await response.text();
  const body = text === "" ? undefined : JSON.parse(text);
  check(pathTemplate, method, response.status, body);
  expect(response.headers.get("x-request-id")).toMatch(/^[\w.:-]{8,}$/);
  return { response, body };
}

function requestLines(): Record<string, unknown>[] {
  return server
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === "request");
}

async function uploadUrl(
  type = "image",
  extension = "jpg",
): Promise<{ upload_url: string; file_path: string }> {
  const { body } = await call("/v1/files/upload-urls", "POST", "/v1/files/upload-urls", {
    headers: jsonHeaders,
    body: JSON.stringify({ items: [{ type, extension }] }),
  });
  return (body as { items: { upload_url: string; file_path: string }[] }).items[0] as {
    upload_url: string;
    file_path: string;
  };
}

type Task = {
  status: string;
  kind: string;
  faces: { score?: number; box?: object; landmarks?: unknown[]; appearances?: unknown[] }[];
  error?: { message: string };
};

/** Upload, create, and poll to the end, checking every answer against the document on the way. */
async function detect(bytes: BodyInit, type: string, extension: string): Promise<Task> {
  const item = await uploadUrl(type, extension);
  const put = await fetch(item.upload_url, { method: "PUT", body: bytes });
  expect(put.status).toBe(200);
  check("/uploads/{id}", "PUT", put.status, (await put.text()) || undefined);
  const { body: created } = await call("/v1/face-detection", "POST", "/v1/face-detection", {
    headers: jsonHeaders,
    body: JSON.stringify({ assets: { target_file_path: item.file_path }, confidence_score: 0.5 }),
  });
  const id = (created as { id: string }).id;
  return waitForTerminal(
    async () =>
      (await call("/v1/face-detection/{id}", "GET", `/v1/face-detection/${id}`, { headers: auth }))
        .body as Task,
  );
}

describe("the API as documented", () => {
  it("serves the document, the same one the generator builds, without a token", async () => {
    const response = await fetch(`${server.origin}/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it("upload URL → upload → create → poll: every answer matches the document", async () => {
    const task = await detect(PHOTO, "image", "jpg");
    expect(task.status).toBe("complete");
    expect(task.faces).toHaveLength(4);
    for (const face of task.faces) {
      expect(face.score).toBeGreaterThanOrEqual(0.5);
      expect(face.box).toBeDefined();
      expect(face.landmarks).toHaveLength(6);
    }
  });

  it("a video's people and a file that fails answer as documented too", async () => {
    const clip = readFileSync(makeVideo([{ photo: 2, seconds: 2, move: "far" }]));
    const video = await detect(clip, "video", "mp4");
    expect(video).toMatchObject({ status: "complete", kind: "video" });
    expect(video.faces.length).toBeGreaterThan(0);
    for (const face of video.faces) expect(face.appearances?.length).toBeGreaterThan(0);

    const broken = await detect(new Uint8Array(PHOTO.subarray(0, 3000)), "image", "jpg");
    expect(broken.status).toBe("error");
    expect(broken.error?.message).toBeTruthy();
  });

  it("answers errors with documented statuses and Magic Hour's {message}", async () => {
    const unauthorized = await call("/v1/face-detection/{id}", "GET", "/v1/face-detection/abc");
    expect(unauthorized.response.status).toBe(401);
    expect(unauthorized.body).toEqual({ message: "Unauthorized" });

    const missing = await call(
      "/v1/face-detection/{id}",
      "GET",
      "/v1/face-detection/AAAAAAAAAAAAAAAAAAAAAA",
      {
        headers: auth,
      },
    );
    expect(missing.response.status).toBe(404);
    expect(missing.body).toEqual({ message: "Not Found" });

    const noBody = await call("/v1/face-detection", "POST", "/v1/face-detection", { headers: jsonHeaders });
    expect(noBody.response.status).toBe(400);
    expect(noBody.body).toEqual({ message: "Missing request body" });

    const badField = await call("/v1/face-detection", "POST", "/v1/face-detection", {
      headers: jsonHeaders,
      body: JSON.stringify({ assets: { target_file_path: "x" }, confidence_score: 2 }),
    });
    expect(badField.response.status).toBe(400);
    expect((badField.body as { message: string }).message).toMatch(/confidence_score/);

    const notUploaded = await call("/v1/face-detection", "POST", "/v1/face-detection", {
      headers: jsonHeaders,
      body: JSON.stringify({ assets: { target_file_path: "api-assets/nothing/input.jpg" } }),
    });
    expect(notUploaded.response.status).toBe(422);

    const badType = await call("/v1/files/upload-urls", "POST", "/v1/files/upload-urls", {
      headers: jsonHeaders,
      body: JSON.stringify({ items: [{ type: "audio", extension: "mp3" }] }),
    });
    expect(badType.response.status).toBe(422);

    const item = await uploadUrl();
    const forged = await fetch(item.upload_url.replace(/signature=[^&]+/, "signature=forged"), {
      method: "PUT",
      body: PHOTO,
    });
    expect(forged.status).toBe(403);
    check("/uploads/{id}", "PUT", forged.status, await forged.json());
  });

  it("answers a wrong method with 405, a JSON message and Allow, and an unknown /v1 path with a JSON 404", async () => {
    for (const [pathTemplate, method, allow] of [
      ["/v1/face-detection", "GET", "POST, OPTIONS"],
      ["/v1/face-detection", "DELETE", "POST, OPTIONS"],
      ["/v1/face-detection/{id}", "POST", "GET, HEAD, OPTIONS"],
      ["/v1/files/upload-urls", "PUT", "POST, OPTIONS"],
    ] as const) {
      const url = pathTemplate.replace("{id}", "AAAAAAAAAAAAAAAAAAAAAA");
      const { response, body } = await call(pathTemplate, method, url, { headers: auth });
      expect(response.status, `${method} ${url}`).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      expect((body as { message: string }).message).toMatch(/^Method not allowed: use (POST|GET)$/);
    }
    const options = await fetch(`${server.origin}/v1/face-detection`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("POST, OPTIONS");
    const put = await fetch(`${server.origin}/uploads/AAAAAAAAAAAAAAAAAAAAAA`, { method: "POST" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("PUT, OPTIONS");

    for (const method of ["GET", "POST", "DELETE"]) {
      const { response, body } = await call("/v1/unknown", method, "/v1/no-such-endpoint", { headers: auth });
      expect(response.status).toBe(404);
      expect(body).toEqual({ message: "Not Found" });
    }
  });

  it("logs one JSON line per request with its id, route, status and duration, and never the query", async () => {
    const incoming = "trace-0123456789abcdef";
    const response = await fetch(`${server.origin}/v1/face-detection/AAAAAAAAAAAAAAAAAAAAAA`, {
      headers: { ...auth, "X-Request-Id": incoming },
    });
    expect(response.headers.get("x-request-id")).toBe(incoming);
    const generated = await fetch(`${server.origin}/v1/face-detection`, { method: "PATCH" });
    const generatedId = generated.headers.get("x-request-id");
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const lines = requestLines();
    expect(lines.filter((line) => line.request_id === incoming)).toEqual([
      expect.objectContaining({
        level: "info",
        method: "GET",
        route: "/v1/face-detection/{id}",
        status: 404,
        duration_ms: expect.any(Number),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
    expect(lines.find((line) => line.request_id === generatedId)).toMatchObject({
      method: "PATCH",
      route: "/v1/face-detection",
      status: 405,
    });
    // Upload URLs were PUT to above: their signatures and the API key stay out of the log.
    expect(server.output()).not.toMatch(/signature=|contract-test-key-1/);
    expect(lines.some((line) => line.route === "/uploads/{id}" && line.status === 200)).toBe(true);
  });

  it("logs a client that hangs up mid-upload at info, not as an error, and the URL still takes the file", async () => {
    const item = await uploadUrl();
    const target = new URL(item.upload_url);
    await new Promise<void>((resolve) => {
      const request = http.request(target, {
        method: "PUT",
        headers: { "Content-Length": String(PHOTO.length * 4) },
      });
      request.on("error", () => resolve());
      request.write(PHOTO.subarray(0, 64 * 1024), () => {
        setTimeout(() => {
          request.destroy();
          resolve();
        }, 300);
      });
    });
    const deadline = Date.now() + 10_000;
    let aborted: Record<string, unknown> | undefined;
    while (!aborted && Date.now() < deadline) {
      aborted = requestLines().find((line) => line.route === "/uploads/{id}" && line.aborted === true);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(aborted).toMatchObject({ level: "info", method: "PUT", status: 499 });
    expect(server.output()).not.toMatch(/"level":"error"/);

    const retry = await fetch(item.upload_url, { method: "PUT", body: PHOTO });
    expect(retry.status).toBe(200);
  });

  it("renders /docs from the document, with no script or style from elsewhere, linked from the footer", async () => {
    const response = await fetch(`${server.origin}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-/);
    const html = await response.text();
    const paths = document.paths as Record<string, Record<string, { summary: string }>>;
    for (const [route, methods] of Object.entries(paths)) {
      for (const operation of Object.values(methods)) {
        expect(html).toContain(route.replace(/&/g, "&amp;"));
        expect(html).toContain(operation.summary);
      }
    }
    expect(html).toContain("faces[].landmarks");
    expect(html).toContain("Retry-After");
    const external = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map((match) => match[1] as string)
      .filter((url) => /^(https?:)?\/\//.test(url));
    expect(external).toEqual([]);

    const home = await (await fetch(`${server.origin}/`)).text();
    expect(home).toMatch(/<footer[^>]*>.*href="\/docs"/s);
  });
});
