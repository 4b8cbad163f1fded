import { readdirSync, readFileSync } from "node:fs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../test/support/next-server";
import { waitForTerminal } from "../../test/support/wait-for-terminal";
import { packageFile } from "../engine/models/package-file";

/**
 * Pictures that cost the engine far more than their size suggests, sent anonymously to the production build: a
 * 1,000,000 × 50 px PNG (50 MP in a few KB, exactly at MAX_IMAGE_PIXELS) once took the server from 150 MB to
 * 2.7 GB and left inference running after its task had failed. The server must answer each with a clear result,
 * keep its memory bounded, keep answering /api/health, and leave no work running behind.
 */

const MB = 1024 * 1024;

/** The server and every process under it (`next start` runs the server in a child). */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: fields after the last ")" are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return "";
  }
}

function treeRssBytes(root: number): number {
  return processTree(root).reduce((sum, pid) => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readProc(pid, "status"));
    return sum + (match ? Number(match[1]) * 1024 : 0);
  }, 0);
}

/** CPU time (user + system, clock ticks) the whole tree has used so far. */
function treeCpuTicks(root: number): number {
  return processTree(root).reduce((sum, pid) => {
    const stat = readProc(pid, "stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return sum + Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }, 0);
}

/** Samples the server's memory and health every 100 ms until stopped. */
function watch(server: RunningServer) {
  let peakRss = 0;
  let healthChecks = 0;
  const healthFailures: string[] = [];
  let running = true;
  const memory = setInterval(() => {
    peakRss = Math.max(peakRss, treeRssBytes(server.pid));
  }, 100);
  const health = (async () => {
    while (running) {
      try {
        const response = await fetch(`${server.origin}/api/health`, { signal: AbortSignal.timeout(5000) });
        if (!response.ok) healthFailures.push(`status ${response.status}`);
      } catch (error) {
        healthFailures.push(String(error));
      }
      healthChecks++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      clearInterval(memory);
      await health;
      return { peakRss, healthChecks, healthFailures };
    },
  };
}

async function post(server: RunningServer, bytes: Buffer): Promise<string> {
  const response = await fetch(`${server.origin}/api/detections`, {
    method: "POST",
    body: new Uint8Array(bytes),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

function settle(server: RunningServer, id: string) {
  return waitForTerminal<{ status: string; error: string | null; faces: unknown[] }>(
    `${server.origin}/api/detections/${id}`,
  );
}

/** A flat grey PNG of the given size: many pixels in a few kilobytes. */
const flatPng = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 120, g: 120, b: 120 } } })
    .png({ compressionLevel: 9 })
    .toBuffer();

/** After the tasks have settled, the server must be idle: no orphaned inference burning the cores. */
async function expectIdle(server: RunningServer): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = treeCpuTicks(server.pid);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const ticksPerSecond = 100;
  // Two seconds of wall time; orphaned inference would use close to four seconds of CPU on two cores.
  expect((treeCpuTicks(server.pid) - before) / ticksPerSecond).toBeLessThan(0.6);
}

describe("pictures that cost more than their size", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ API_KEYS: "test-key-0123456789" });
  });
  afterAll(() => server?.stop());

  it("refuses 1,000,000 × 50 px PNGs with a reason, in bounded memory, answering health checks", async () => {
    const thin = await flatPng(1_000_000, 50);
    expect(thin.length).toBeLessThan(200_000);
    const baseline = treeRssBytes(server.pid);
    const watcher = watch(server);
    const ids = [await post(server, thin), await post(server, thin), await post(server, thin)];
    const results = await Promise.all(ids.map((id) => settle(server, id)));
    const { peakRss, healthChecks, healthFailures } = await watcher.stop();
    for (const result of results) {
      expect(result.status).toBe("error");
      expect(result.error).toMatch(/1000000 × 50 pixels.*not supported/);
    }
    expect(healthFailures).toEqual([]);
    expect(healthChecks).toBeGreaterThan(0);
    console.log(
      `three 1,000,000 × 50 px PNGs: server RSS grew ${Math.round((peakRss - baseline) / MB)} MB at most`,
    );
    // Decoding one 50 MP picture takes about 150 MB of pixels; the old engine went past 2.7 GB on one, 7.6 GB on three.
    expect(peakRss - baseline).toBeLessThan(900 * MB);
    await expectIdle(server);
  });

  it("finds the face in a long panorama it can handle", async () => {
    const face = await sharp(readFileSync(packageFile("@vladmandic/face-api", "demo/sample2.jpg")))
      .resize({ height: 800 })
      .toBuffer();
    const panorama = await sharp({
      create: { width: 12_000, height: 800, channels: 3, background: { r: 90, g: 110, b: 130 } },
    })
      .composite([{ input: face, left: 7000, top: 0 }])
      .jpeg()
      .toBuffer();
    const result = await settle(server, await post(server, panorama));
    expect(result.status).toBe("complete");
    expect(result.faces.length).toBeGreaterThan(0);
  });
});

describe("the per-photo time budget", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ API_KEYS: "test-key-0123456789", MAX_DETECTION_SECONDS: "0.3" });
  });
  afterAll(() => server?.stop());

  it("ends a detection that runs past MAX_DETECTION_SECONDS in error and stops its work", async () => {
    // 48 MP of texture (noise drawn small and enlarged: drawing 48 MP of noise takes sharp ~20 s): hundreds of
    // windows, far more than 0.3 s of work on any machine.
    const noise = await sharp({
      create: {
        width: 800,
        height: 600,
        channels: 3,
        background: "#808080",
        noise: { type: "gaussian", mean: 128, sigma: 40 },
      },
    })
      .png()
      .toBuffer();
    const big = await sharp(noise).resize(8000, 6000, { kernel: "nearest" }).jpeg({ quality: 50 }).toBuffer();
    const watcher = watch(server);
    const result = await settle(server, await post(server, big));
    const { healthFailures } = await watcher.stop();
    expect(result.status).toBe("error");
    expect(result.error).toMatch(/longer than the 0.3 s/);
    expect(healthFailures).toEqual([]);
    await expectIdle(server);
  });
});
