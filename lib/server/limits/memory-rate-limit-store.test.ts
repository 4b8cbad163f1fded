import { describe, expect, it } from "vitest";
import { memoryRateLimitStore } from "./rate-limit-store";
import { describeRateLimitStoreContract } from "./rate-limit-store-contract";

describeRateLimitStoreContract("Memory", async () => ({
  store: memoryRateLimitStore(),
  close: async () => {},
}));

describe("Memory rate-limit store", () => {
  it("forgets windows that ended, as hits arrive (memory stays bounded by the keys seen in one window)", async () => {
    let now = 0;
    const store = memoryRateLimitStore(() => now);
    for (let i = 0; i < 1000; i++) await store.hit(`addr-${i}`, 60_000);
    now = 61_000;
    // Had the old windows been kept, this key's count would go on from 1.
    expect((await store.hit("addr-0", 60_000)).count).toBe(1);
    now = 62_000;
    expect((await store.hit("addr-0", 60_000)).count).toBe(2);
    expect((await store.hit("addr-1", 60_000)).count).toBe(1);
  });
});
