import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { unzipSync } from "fflate";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../test/support/next-server";
import { waitForTerminal } from "../../test/support/wait-for-terminal";
import { packageFile } from "../engine/models/package-file";
import { openDatabase } from "./database";
import { sqliteTaskStore } from "./task-store";

/** The web app's downloads and delete, against the production build. */

const photo = readFileSync(packageFile("@vladmandic/face-api", "demo/sample1.jpg"));

function settle(server: RunningServer, id: string) {
  return waitForTerminal<{
    status: string;
    faces: Array<{ url: string; score: number; box: { x: number } }>;
  }>(`${server.origin}/api/detections/${id}`);
}

describe("exports and delete", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.stop());

  it("zips the faces as the UI names them, with faces.json and faces.csv", async () => {
    const { id } = (await (
      await fetch(`${server.origin}/api/detections`, { method: "POST", body: photo })
    ).json()) as { id: string };
    const view = await settle(server, id);
    const response = await fetch(`${server.origin}/api/detections/${id}/faces.zip?confidence=0.5`);
    expect(response.headers.get("content-type")).toBe("application/zip");
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    expect(Object.keys(files)).toEqual([
      "face-01.png",
      "face-02.png",
      "face-03.png",
      "faces.json",
      "faces.csv",
    ]);
    // face-01 is the leftmost face, as in the gallery.
    const leftmost = [...view.faces.filter((f) => f.score >= 0.5)].sort((a, b) => a.box.x - b.box.x)[0] as {
      url: string;
    };
    const crop = new Uint8Array(await (await fetch(`${server.origin}${leftmost.url}`)).arrayBuffer());
    expect(Buffer.from(files["face-01.png"] as Uint8Array).equals(Buffer.from(crop))).toBe(true);
    const json = JSON.parse(Buffer.from(files["faces.json"] as Uint8Array).toString()) as {
      width: number;
      faces: Array<{ crop: string; score: number; box: { x: number }; landmarks: number[][] }>;
    };
    expect(json.width).toBe(1920);
    expect(json.faces.map((f) => f.crop)).toEqual(["face-01.png", "face-02.png", "face-03.png"]);
    expect(json.faces.every((f) => f.score >= 0.5 && f.landmarks.length === 6)).toBe(true);
    const csv = Buffer.from(files["faces.csv"] as Uint8Array)
      .toString()
      .trim()
      .split("\r\n");
    expect(csv).toHaveLength(4);
    expect(Number(csv[1]?.split(",")[2])).toBeCloseTo(json.faces[0]?.box.x as number, 6);

    const card = await fetch(`${server.origin}/api/detections/${id}/card.jpg?confidence=0.95`);
    const meta = await sharp(Buffer.from(await card.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 1200, 630]);
    const framed = await fetch(`${server.origin}/api/detections/${id}/photo.jpg?style=framed`);
    expect((await sharp(Buffer.from(await framed.arrayBuffer())).metadata()).width).toBe(1920);
    expect((await fetch(`${server.origin}/api/detections/${id}/photo.jpg?style=sepia`)).status).toBe(400);
  });

  it("deletes a result only with its token, and its link then says so", async () => {
    const { id, deleteToken } = (await (
      await fetch(`${server.origin}/api/detections`, { method: "POST", body: photo })
    ).json()) as { id: string; deleteToken: string };
    expect(deleteToken).toMatch(/^[\w-]{32}$/);
    await settle(server, id);
    const remove = (token: string) =>
      fetch(`${server.origin}/api/detections/${id}`, {
        method: "DELETE",
        headers: { "x-delete-token": token },
      });
    const refused = await remove(`${deleteToken.slice(0, -1)}x`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/Only the browser that uploaded/);
    expect((await remove(deleteToken)).status).toBe(204);

    expect(existsSync(path.join(server.dataDir, "files/api-assets", id))).toBe(false);
    const db = new Database(path.join(server.dataDir, "facefinder.sqlite"), { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get(id) as { n: number }).n;
    expect(count("SELECT count(*) AS n FROM tasks WHERE id = ?")).toBe(0);
    expect(count("SELECT count(*) AS n FROM faces WHERE task_id = ?")).toBe(0);
    expect(count("SELECT count(*) AS n FROM deleted_tasks WHERE id = ?")).toBe(1);
    // Only the token's hash was ever stored.
    expect(JSON.stringify(db.prepare("SELECT * FROM tasks").all())).not.toContain(deleteToken);
    db.close();

    expect((await fetch(`${server.origin}/api/detections/${id}`)).status).toBe(404);
    expect((await fetch(`${server.origin}/api/detections/${id}/faces.zip`)).status).toBe(404);
    const page = await (await fetch(`${server.origin}/results/${id}`)).text();
    expect(page).toContain("Result deleted");
    expect((await remove(deleteToken)).status).toBe(404);
  });
});

/** Resident memory of a process and its descendants (next start may run the server in a child), in bytes. */
function treeRss(pid: number): number {
  const status = (p: number) => {
    try {
      const line = readFileSync(`/proc/${p}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
      return line ? Number(line[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  const children = (p: number): number[] => {
    try {
      return readdirSync(`/proc/${p}/task`).flatMap((t) =>
        readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
      );
    } catch {
      return [];
    }
  };
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i] as number));
  return all.reduce((sum, p) => sum + status(p), 0);
}

describe("faces.zip is streamed", () => {
  const FACES = 384;
  const DOWNLOADS = 30;
  let server: RunningServer;
  let id: string;
  let cropBytes: number;
  beforeAll(async () => {
    server = await startServer();
    // A finished web task with 384 faces, written through the task store into the running server's database.
    id = "StreamedZipTask0000001";
    const noise = await sharp(
      Buffer.from(Array.from({ length: 256 * 256 * 3 }, (_, i) => (i * 7919) % 251)),
      {
        raw: { width: 256, height: 256, channels: 3 },
      },
    )
      .png({ compressionLevel: 0 })
      .toBuffer();
    cropBytes = noise.length;
    const db = openDatabase(path.join(server.dataDir, "facefinder.sqlite"));
    const tasks = sqliteTaskStore(db);
    tasks.create({
      id,
      owner: "web",
      source: "test",
      inputKey: null,
      kind: "image",
      confidence: 0.5,
      provider: "local",
    });
    const dir = path.join(server.dataDir, "files/api-assets", id);
    await import("node:fs/promises").then((fs) => fs.mkdir(dir, { recursive: true }));
    for (let i = 0; i < FACES; i++) {
      writeFileSync(path.join(dir, `0-${i}.png`), noise);
      tasks.addFace(id, {
        frame: 0,
        index: i,
        path: `api-assets/${id}/0-${i}.png`,
        score: 0.9,
        box: { x: i * 10, y: 0, width: 8, height: 8 },
        landmarks: [],
      });
    }
    tasks.complete(id, { width: 4000, height: 100 });
    db.close();
  });
  afterAll(() => server?.stop());

  it("keeps the server's memory bounded during 30 concurrent downloads of a 384-face task", async () => {
    const url = `${server.origin}/api/detections/${id}/faces.zip?confidence=0.5`;
    const first = unzipSync(new Uint8Array(await (await fetch(url)).arrayBuffer()));
    expect(Object.keys(first)).toHaveLength(FACES + 2);
    expect(Object.keys(first)[0]).toBe("face-001.png");
    const zipBytes = FACES * cropBytes;

    const baseline = treeRss(server.pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, treeRss(server.pid));
    }, 25);
    const sizes = await Promise.all(
      Array.from({ length: DOWNLOADS }, async () => {
        const response = await fetch(url);
        let total = 0;
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
          total += chunk.length;
        return total;
      }),
    );
    clearInterval(sampler);
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBeGreaterThan(zipBytes);
    const growth = peak - baseline;
    console.log(
      `faces.zip: ${DOWNLOADS} concurrent downloads of ${(zipBytes / 1e6).toFixed(0)} MB each; server RSS ${(baseline / 1e6).toFixed(0)} MB → peak ${(peak / 1e6).toFixed(0)} MB (+${(growth / 1e6).toFixed(0)} MB)`,
    );
    // Held in memory, the archives alone would be DOWNLOADS × zipBytes (about 2.3 GB); streamed, a small fraction.
    expect(growth).toBeLessThan((DOWNLOADS * zipBytes) / 8);
  });
});
