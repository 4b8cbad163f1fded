import "server-only";
import { afterEach, describe, expect, it } from "vitest";
import type { JobHandler, JobQueue, JobQueueOptions } from "./job-queue";

export type OpenQueue = (options: JobQueueOptions) => Promise<JobQueue>;

/** A promise with its resolve, for handlers that wait until the test lets them go on. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

async function until(check: () => boolean | Promise<boolean>) {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** What every job queue does, in this process or in Redis: the same tests run against both. */
export function describeJobQueueContract(name: string, open: OpenQueue) {
  describe(`${name}: the job queue contract`, () => {
    const opened: JobQueue[] = [];
    const exhausted: Array<[string, string]> = [];
    const make = async (overrides: Partial<JobQueueOptions> = {}) => {
      const queue = await open({
        concurrency: 1,
        attempts: 2,
        backoffMs: 10,
        exhausted: async (taskId, error) => {
          exhausted.push([taskId, error.message]);
        },
        ...overrides,
      });
      opened.push(queue);
      return queue;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((queue) => queue.close()));
      exhausted.length = 0;
    });

    it("runs each task once however often it is asked for while it waits", async () => {
      const queue = await make();
      const runs: string[] = [];
      const hold = gate();
      await queue.enqueue("blocker");
      await queue.enqueue("a");
      await queue.enqueue("a");
      await queue.enqueue("b");
      queue.start(async (taskId) => {
        if (taskId === "blocker") await hold.opened;
        runs.push(taskId);
        return undefined;
      });
      await queue.enqueue("a");
      hold.open();
      await queue.idle();
      expect(runs.sort()).toEqual(["a", "b", "blocker"]);
    });

    it("runs at most `concurrency` jobs at once in a process, and reports them", async () => {
      const queue = await make({ concurrency: 2 });
      let running = 0;
      let most = 0;
      const hold = gate();
      queue.start(async () => {
        running++;
        most = Math.max(most, running);
        await hold.opened;
        running--;
        return undefined;
      });
      for (const id of ["t1", "t2", "t3", "t4", "t5"]) await queue.enqueue(id);
      await until(async () => (await queue.counts()).running === 2);
      expect(await queue.counts()).toEqual({ waiting: 3, delayed: 0, running: 2 });
      hold.open();
      await queue.idle();
      expect(most).toBe(2);
      expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, running: 0 });
    });

    it("puts a job back for later without holding a slot, and keeps its attempt number", async () => {
      const queue = await make({ concurrency: 1 });
      const seen: string[] = [];
      const handler: JobHandler = async (taskId, { attempt }) => {
        seen.push(`${taskId}#${attempt}`);
        if (taskId === "polling" && seen.filter((s) => s.startsWith("polling")).length < 3)
          return { againInMs: 150 };
        return undefined;
      };
      queue.start(handler);
      await queue.enqueue("polling");
      await until(() => seen.length === 1);
      await queue.enqueue("other");
      await queue.idle();
      expect(seen).toEqual(["polling#1", "other#1", "polling#1", "polling#1"]);
    });

    it("retries a job that throws, then gives it up once with the last error", async () => {
      const queue = await make({ attempts: 3 });
      const tries: number[] = [];
      queue.start(async (taskId, { attempt }) => {
        if (taskId === "flaky" && attempt < 2) throw new Error("database briefly away");
        if (taskId === "broken") {
          tries.push(attempt);
          throw new Error(`broken on try ${attempt}`);
        }
        return undefined;
      });
      await queue.enqueue("flaky");
      await queue.enqueue("broken");
      await until(() => exhausted.length === 1);
      await queue.idle();
      expect(tries).toEqual([1, 2, 3]);
      expect(exhausted).toEqual([["broken", "broken on try 3"]]);
    });

    it("runs jobs asked for with a delay, after it", async () => {
      const queue = await make();
      const runs: string[] = [];
      queue.start(async (taskId) => {
        runs.push(taskId);
        return undefined;
      });
      await queue.enqueue("later", { delayMs: 200 });
      await queue.enqueue("now");
      await until(() => runs.length === 2);
      expect(runs).toEqual(["now", "later"]);
    });

    it("hands slots to clients in turn: a burst of 12 from one client does not hold back another's task", async () => {
      const queue = await make();
      const runs: string[] = [];
      const burst = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
      for (const id of burst) await queue.enqueue(id, { client: "busy" });
      await queue.enqueue("single", { client: "quiet" });
      await queue.enqueue("burst-3", { client: "busy" }); // asked for again: still one job
      expect(await queue.queued("busy")).toBe(12);
      expect(await queue.queued("quiet")).toBe(1);
      expect(await queue.queued("nobody")).toBe(0);
      queue.start(async (taskId) => {
        runs.push(taskId);
        return undefined;
      });
      await queue.idle();
      // One slot, and eleven more of the burst queued ahead of it: the quiet client's task waits for the burst's
      // first job and at most one more (whose turn it was), not for all twelve.
      expect(runs[0]).toBe("burst-0");
      expect(runs.indexOf("single")).toBeLessThanOrEqual(2);
      expect(runs.filter((id) => id !== "single")).toEqual(burst);
      expect(await queue.queued("busy")).toBe(0);
      expect(await queue.queued("quiet")).toBe(0);
    });

    it("counts a client's delayed and running jobs as queued, until they finish", async () => {
      const queue = await make();
      const hold = gate();
      const runs: string[] = [];
      queue.start(async (taskId) => {
        runs.push(taskId);
        if (taskId === "running") await hold.opened;
        return undefined;
      });
      await queue.enqueue("running", { client: "c" });
      await until(() => runs.length === 1);
      await queue.enqueue("later", { client: "c", delayMs: 300 });
      await queue.enqueue("other", { client: "d" });
      expect(await queue.queued("c")).toBe(2);
      hold.open();
      await queue.idle();
      expect(runs.sort()).toEqual(["later", "other", "running"]);
      expect(await queue.queued("c")).toBe(0);
      expect(await queue.queued("d")).toBe(0);
    });

    it("on stop, finishes the job it holds and takes no more", async () => {
      const queue = await make();
      const hold = gate();
      const runs: string[] = [];
      let finished = false;
      queue.start(async (taskId) => {
        runs.push(taskId);
        await hold.opened;
        finished = true;
        return undefined;
      });
      await queue.enqueue("held");
      await until(() => runs.length === 1);
      const stopping = queue.stop();
      await queue.enqueue("after-stop").catch(() => {});
      hold.open();
      await stopping;
      expect(finished).toBe(true);
      expect(runs).toEqual(["held"]);
    });
  });
}
