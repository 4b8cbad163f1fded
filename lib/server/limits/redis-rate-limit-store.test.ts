import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { env, servicesReady, uniqueName } from "../../../test/support/scale-out-services";
import { describeRateLimitStoreContract } from "./rate-limit-store-contract";
import { redisRateLimitStore } from "./redis-rate-limit-store";

const ready = servicesReady("Redis rate-limit store", "REDIS_URL");

describe.runIf(ready)("Redis", () => {
  const prefix = uniqueName("facefinder_test");
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis(env("REDIS_URL"));
    connections.push(redis);
    return redis;
  };
  afterAll(async () => {
    const redis = connect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    for (const connection of connections) connection.disconnect();
  });

  describeRateLimitStoreContract("Redis", async () => ({
    store: redisRateLimitStore(connect(), prefix),
    close: async () => {},
  }));

  it("shares one count between web instances", async () => {
    const [a, b] = [redisRateLimitStore(connect(), prefix), redisRateLimitStore(connect(), prefix)];
    expect((await a.hit("owner-1", 60_000)).count).toBe(1);
    expect((await b.hit("owner-1", 60_000)).count).toBe(2);
    expect((await a.hit("owner-1", 60_000)).count).toBe(3);
  });
});
