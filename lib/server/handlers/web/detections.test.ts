import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ServerContext } from "../../context";
import { openDatabase } from "../../database";
import { newId } from "../../ids";
import { sqliteTaskRepository } from "../../repository/sqlite-repositories";
import { sqliteTaskStore } from "../../task-store";
import { detectionView, WEB_OWNER } from "./detections";

describe("detectionView", () => {
  it("lists no faces for a task that ended in error, even if some were recorded before it failed", async () => {
    const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), "facefinder-view-")), "db.sqlite"));
    const tasks = sqliteTaskStore(db);
    const ctx = { tasks: sqliteTaskRepository(tasks, db) } as unknown as ServerContext;
    const id = newId();
    tasks.create({
      id,
      owner: WEB_OWNER,
      source: "clip.mp4",
      inputKey: `api-assets/${id}/input.mp4`,
      kind: "video",
      confidence: 0.5,
      provider: "local",
    });
    tasks.markRendering(id);
    tasks.addFace(id, {
      frame: 12,
      index: 0,
      path: `api-assets/${id}/12-0.png`,
      score: 0.9,
      box: { x: 1, y: 2, width: 30, height: 30 },
      landmarks: [],
      time: 2,
      appearances: [{ start: 1, end: 3 }],
    });
    expect((await detectionView(ctx, id))?.faces).toHaveLength(1);
    tasks.fail(id, "No frame could be decoded past 2 s");
    const view = await detectionView(ctx, id);
    expect(view?.status).toBe("error");
    expect(view?.error).toMatch(/No frame/);
    expect(view?.faces).toEqual([]);
    db.close();
  });
});
