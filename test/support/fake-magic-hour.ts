import { randomUUID } from "node:crypto";
import http from "node:http";
import sharp from "sharp";

/**
 * A stand-in for Magic Hour's API on 127.0.0.1, written from its published contract
 * (shared/reference/magic-hour-face-detection.openapi.json), not from this app's expectations: bearer auth,
 * upload-urls + PUT to pre-signed storage URLs, face-detection tasks that go queued → rendering → complete with
 * faces appearing one per poll, crops served from storage. `behaviour` switches on the failure modes a real
 * upstream has.
 */

export type Behaviour =
  | "normal"
  | "bad-token" // every /v1 call: 401
  | "no-credits" // creating a detection: 402
  | "unprocessable" // creating a detection: 422
  | "rate-limited" // the first two GETs of a task: 429 with Retry-After: 1
  | "task-error" // the task ends in status "error"
  | "slow"; // every response 1.5 s late

interface Task {
  filePath: string;
  confidence: number;
  polls: number;
  throttled: number;
  faces: number;
}

export interface FakeMagicHour {
  origin: string;
  token: string;
  behaviour: Behaviour;
  /** Faces each new task will report. */
  faceCount: number;
  /** Every request seen, as "METHOD /path", and the Authorization header each carried. */
  requests: Array<{ line: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

const MAX_BODY = 50 * 1024 * 1024;

export async function startFakeMagicHour(options: { token: string; port?: number }): Promise<FakeMagicHour> {
  const uploads = new Map<string, { filePath: string; bytes: Buffer | null }>();
  const tasks = new Map<string, Task>();
  const crops = new Map<string, Buffer>();
  const crop = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#c08060" } })
    .png()
    .toBuffer();

  const fake: FakeMagicHour = {
    origin: "",
    token: options.token,
    behaviour: "normal",
    faceCount: 3,
    requests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const send = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  const readBody = (req: http.IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) req.destroy();
        else chunks.push(chunk);
      });
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", fake.origin);
    fake.requests.push({ line: `${req.method} ${url.pathname}`, authorization: req.headers.authorization });
    if (fake.behaviour === "slow") await new Promise((resolve) => setTimeout(resolve, 1500));

    // Storage: pre-signed URLs, no bearer token.
    if (url.pathname.startsWith("/storage/")) {
      const key = url.pathname.slice("/storage/".length);
      if (req.method === "PUT") {
        const upload = uploads.get(key);
        if (!upload || url.searchParams.get("signature") !== "fake")
          return send(res, 403, { message: "Forbidden" });
        upload.bytes = await readBody(req);
        res.writeHead(200).end();
        return;
      }
      const bytes = crops.get(key);
      if (req.method === "GET" && bytes) {
        res
          .writeHead(200, { "content-type": "image/png", "content-length": String(bytes.length) })
          .end(bytes);
        return;
      }
      return send(res, 404, { message: "Not Found" });
    }

    if (!url.pathname.startsWith("/v1/")) return send(res, 404, { message: "Not Found" });
    if (req.headers.authorization !== `Bearer ${fake.token}` || fake.behaviour === "bad-token") {
      return send(res, 401, { message: "Unauthorized" });
    }

    if (req.method === "POST" && url.pathname === "/v1/files/upload-urls") {
      const body = JSON.parse((await readBody(req)).toString() || "{}") as {
        items?: Array<{ type?: string; extension?: string }>;
      };
      if (!Array.isArray(body.items) || body.items.length === 0)
        return send(res, 400, { message: "items required" });
      const items = body.items.map((item) => {
        const id = randomUUID();
        const key = `api-assets/${id}/file.${item.extension}`;
        uploads.set(key, { filePath: key, bytes: null });
        return {
          upload_url: `${fake.origin}/storage/${key}?signature=fake`,
          file_path: key,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
        };
      });
      return send(res, 200, { items });
    }

    if (req.method === "POST" && url.pathname === "/v1/face-detection") {
      const raw = (await readBody(req)).toString();
      if (!raw) return send(res, 400, { message: "Missing request body" });
      const body = JSON.parse(raw) as { assets?: { target_file_path?: string }; confidence_score?: number };
      const filePath = body.assets?.target_file_path;
      if (!filePath) return send(res, 400, { message: "assets.target_file_path is required" });
      if (fake.behaviour === "no-credits") return send(res, 402, { message: "Payment Required" });
      const uploaded = uploads.get(filePath)?.bytes;
      const isUrl = /^https?:\/\//.test(filePath);
      if (fake.behaviour === "unprocessable" || (!isUrl && !uploaded)) {
        return send(res, 422, { message: "Unable to trigger face detection" });
      }
      const id = randomUUID();
      tasks.set(id, {
        filePath,
        confidence: body.confidence_score ?? 0.5,
        polls: 0,
        throttled: 0,
        faces: fake.faceCount,
      });
      return send(res, 200, { id, credits_charged: 0 });
    }

    const match = /^\/v1\/face-detection\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && match) {
      const id = match[1] as string;
      const task = tasks.get(id);
      if (!task) return send(res, 404, { message: "Not Found" });
      if (fake.behaviour === "rate-limited" && task.throttled < 2) {
        task.throttled++;
        return send(res, 429, { message: "Too Many Requests" }, { "retry-after": "1" });
      }
      task.polls++;
      // Poll 1: queued. Then rendering, one more face per poll, then complete.
      const shown = Math.max(0, Math.min(task.faces, task.polls - 1));
      const faces = Array.from({ length: shown }, (_, i) => {
        const key = `api-assets/${id}/0-${i}.png`;
        crops.set(key, crop);
        return { path: key, url: `${fake.origin}/storage/${key}?signature=fake` };
      });
      const status =
        task.polls === 1
          ? "queued"
          : fake.behaviour === "task-error" && task.polls >= 2
            ? "error"
            : shown < task.faces || task.polls <= task.faces + 1
              ? "rendering"
              : "complete";
      return send(res, 200, { id, credits_charged: 0, status, faces: status === "error" ? [] : faces });
    }

    send(res, 404, { message: "Not Found" });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  fake.origin = `http://127.0.0.1:${port}`;
  return fake;
}
