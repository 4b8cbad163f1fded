import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../test/support/next-server";

/**
 * The README's HTTP API snippets, run as pasted: the shell one with bash (it needs curl and Node, nothing else), the
 * SDK one with node, both against the production server started as the README says (`API_KEYS=my-secret-key-1`),
 * with BASE pointing at it.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const section = README.slice(
  README.indexOf("## HTTP API"),
  README.indexOf("\n## ", README.indexOf("## HTTP API") + 1),
);

function snippet(language: string): string {
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].filter((block) => block[1] === language);
  expect(blocks, `one \`\`\`${language} block in README's HTTP API section`).toHaveLength(1);
  return blocks[0]?.[2] as string;
}

const hasCurl = spawnSync("curl", ["--version"]).status === 0;
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ API_KEYS: "my-secret-key-1" });
});

afterAll(async () => {
  await server?.stop();
});

describe("README's HTTP API snippets", () => {
  it.skipIf(!hasCurl)("the shell one uploads the sample, polls, and prints the complete task", () => {
    const result = spawnSync("bash", ["-c", snippet("bash")], {
      cwd: ROOT,
      env: { ...process.env, BASE: server.origin },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const task = JSON.parse(result.stdout.trim().split("\n").at(-1) as string);
    expect(task.status).toBe("complete");
    expect(task.faces).toHaveLength(4);
    for (const face of task.faces) {
      expect(face).toMatchObject({ score: expect.any(Number), box: expect.any(Object) });
      expect(face.landmarks).toHaveLength(6);
    }
  });

  it("the SDK one downloads one PNG per face, then prints each face's score, box and landmarks", () => {
    // A fresh folder laid out like the repository: the sample photo, and the packages (the SDK among them).
    const dir = mkdtempSync(path.join(os.tmpdir(), "facefinder-readme-"));
    mkdirSync(path.join(dir, "public/samples"), { recursive: true });
    cpSync(path.join(ROOT, "public/samples/friends.jpg"), path.join(dir, "public/samples/friends.jpg"));
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const file = path.join(dir, "faces.mjs");
    writeFileSync(file, snippet("js"));
    const result = spawnSync(process.execPath, [file], {
      cwd: dir,
      env: { ...process.env, BASE: server.origin, MAGIC_HOUR_LOG_LEVEL: "error" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readdirSync(path.join(dir, "faces")).sort()).toEqual(["0-0.png", "0-1.png", "0-2.png", "0-3.png"]);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^complete /);
    const faces = lines.slice(1).map((line) => JSON.parse(line.slice(line.indexOf(" ") + 1)));
    expect(faces).toHaveLength(4);
    for (const face of faces) {
      expect(face).toMatchObject({ score: expect.any(Number), box: { x: expect.any(Number) } });
      expect(face.landmarks).toHaveLength(6);
    }
  });
});
