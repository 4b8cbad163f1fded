import { Redis } from "ioredis";
import { afterAll, describe } from "vitest";
import { env, servicesReady, uniqueName } from "../../../test/support/scale-out-services";
import { bullmqJobQueue } from "./bullmq-job-queue";
import { describeJobQueueContract } from "./job-queue-contract";

const ready = servicesReady("BullMQ job queue", "REDIS_URL");

describe.runIf(ready)("BullMQ", () => {
  // Every queue of this run under one prefix of its own, removed at the end.
  const prefix = uniqueName("facefinder_test");
  afterAll(async () => {
    const redis = new Redis(env("REDIS_URL"));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  let n = 0;
  describeJobQueueContract("BullMQ", async (options) =>
    bullmqJobQueue({
      ...options,
      url: env("REDIS_URL"),
      prefix,
      queueName: `q${n++}`,
      stalledIntervalMs: 1000,
    }),
  );
});
