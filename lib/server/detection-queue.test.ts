import { describe, expect, it } from "vitest";
import { DetectionQueue } from "./detection-queue";

/** A runner whose tasks finish when the test says so, recording the order in which they started. */
function manualRunner() {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const run = (taskId: string) =>
    new Promise<void>((resolve) => {
      started.push(taskId);
      finishers.set(taskId, resolve);
    });
  const finish = async (taskId: string) => {
    finishers.get(taskId)?.();
    // let the queue's promise chain run
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { started, run, finish };
}

describe("DetectionQueue", () => {
  it("serves lanes in turn, so one client's backlog doesn't hold up another's task", async () => {
    const runner = manualRunner();
    const queue = new DetectionQueue(runner.run, 1);
    for (let i = 0; i < 5; i++) queue.enqueue(`a${i}`, "alice");
    queue.enqueue("b0", "bob");
    queue.enqueue("c0", "carol");
    queue.enqueue("b1", "bob");
    expect(queue.pending("alice")).toBe(5);
    for (const id of ["a0", "a1", "b0", "c0", "a2", "b1", "a3"]) await runner.finish(id);
    expect(runner.started).toEqual(["a0", "a1", "b0", "c0", "a2", "b1", "a3", "a4"]);
    await runner.finish("a4");
    await queue.idle();
    expect(queue.pending("alice")).toBe(0);
  });

  it("runs up to its concurrency at once and ignores a task enqueued twice", async () => {
    const runner = manualRunner();
    const queue = new DetectionQueue(runner.run, 2);
    queue.enqueue("x", "one");
    queue.enqueue("x", "one");
    queue.enqueue("y", "one");
    queue.enqueue("z", "two");
    expect(runner.started).toEqual(["x", "y"]);
    await runner.finish("x");
    expect(runner.started).toEqual(["x", "y", "z"]);
    await runner.finish("y");
    await runner.finish("z");
    await queue.idle();
    expect(runner.started).toHaveLength(3);
  });

  it("keeps going when a task's runner fails", async () => {
    const ran: string[] = [];
    const queue = new DetectionQueue(async (id) => {
      ran.push(id);
      if (id === "bad") throw new Error("boom");
    }, 1);
    const errors = console.error;
    console.error = () => {};
    try {
      queue.enqueue("bad", "a");
      queue.enqueue("good", "a");
      await queue.idle();
    } finally {
      console.error = errors;
    }
    expect(ran).toEqual(["bad", "good"]);
  });
});
