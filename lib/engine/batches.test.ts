import { describe, expect, it } from "vitest";
import { allOrNothing, inBatches } from "./batches";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("inBatches", () => {
  it("keeps results in order and never has more than two batches in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 50 }, (_, i) => i);
    const results = await inBatches(
      items,
      async (batch) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await tick();
        inFlight--;
        return batch.map((n) => n * 2);
      },
      new AbortController().signal,
      4,
    );
    expect(results).toEqual(items.map((n) => n * 2));
    expect(most).toBe(2);
  });

  it("stops submitting batches once aborted, and rejects with the reason", async () => {
    const controller = new AbortController();
    let submitted = 0;
    const run = inBatches(
      Array.from({ length: 100 }, (_, i) => i),
      async (batch) => {
        submitted++;
        if (submitted === 3) controller.abort(new Error("budget spent"));
        await tick();
        return batch;
      },
      controller.signal,
      1,
    );
    await expect(run).rejects.toThrow("budget spent");
    await tick();
    expect(submitted).toBeLessThanOrEqual(4);
  });
});

describe("allOrNothing", () => {
  it("stops the sibling tasks when one fails", async () => {
    let siblingBatches = 0;
    const run = allOrNothing(
      [
        async () => {
          await tick();
          throw new Error("level failed");
        },
        (signal) =>
          inBatches(
            Array.from({ length: 1000 }, (_, i) => i),
            async (batch) => {
              siblingBatches++;
              await tick();
              return batch;
            },
            signal,
            1,
          ),
      ],
      undefined,
    );
    await expect(run).rejects.toThrow("level failed");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = siblingBatches;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(siblingBatches).toBe(after);
    expect(siblingBatches).toBeLessThan(100);
  });
});
