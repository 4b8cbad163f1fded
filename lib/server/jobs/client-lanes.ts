import "server-only";
import type { Redis } from "ioredis";

/**
 * Who has how many jobs in a BullMQ queue, for fairness between clients. Open-source BullMQ has no groups, so the
 * fairness comes from priorities: a client's n-th job with a job still in the queue gets priority n (BullMQ runs
 * lower numbers first, in arrival order within a number). A client queueing 12 photos fills priorities 1–12, and
 * another client's photo, arriving after them, gets priority 1 and runs as soon as a slot frees: slots go to
 * clients in turn, as the embedded queue's lanes hand them out.
 *
 * Each client's lane is a sorted set of task ids in Redis (score: when added), shared by every web instance. A task
 * leaves it when its job finishes; an id whose job has gone without that (a worker killed at the wrong moment, a
 * job given up) is pruned the next time the lane is counted, once it is older than `GRACE_MS`, the time between
 * joining the lane and the job being added.
 */
const GRACE_MS = 30_000;
/** A lane nobody has used for a day goes: the ids in it would all be pruned anyway. */
const IDLE_LANE_MS = 24 * 3600_000;
/** BullMQ's highest priority number. */
const MAX_PRIORITY = 2_097_151;

// KEYS[1] the lane. ARGV: [1] the task id to add ("" to only count), [2] the prefix of BullMQ's job keys,
// [3] GRACE_MS, [4] IDLE_LANE_MS. Returns the lane's size with the task, or 0 when the task already has a job.
const JOIN = `
local lane = KEYS[1]
local taskId = ARGV[1]
local jobKeys = ARGV[2]
if taskId ~= "" and redis.call("EXISTS", jobKeys .. taskId) == 1 then return 0 end
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for _, id in ipairs(redis.call("ZRANGEBYSCORE", lane, "-inf", now - tonumber(ARGV[3]))) do
  if redis.call("EXISTS", jobKeys .. id) == 0 then redis.call("ZREM", lane, id) end
end
if taskId ~= "" then
  redis.call("ZADD", lane, "NX", now, taskId)
  redis.call("PEXPIRE", lane, ARGV[4])
end
return redis.call("ZCARD", lane)
`;

export interface ClientLanes {
  /** Put the task in its client's lane; the priority its job gets, or null if the task already has a job. */
  join(client: string, taskId: string): Promise<number | null>;
  /** Take the task out of its client's lane (its job finished or was given up). */
  leave(client: string, taskId: string): Promise<void>;
  /** The client's tasks that have a job. */
  size(client: string): Promise<number>;
}

export function clientLanes(redis: Redis, keys: { prefix: string; queueName: string }): ClientLanes {
  const jobKeys = `${keys.prefix}:${keys.queueName}:`;
  const lane = (client: string) => `${keys.prefix}:lanes:${keys.queueName}:${client}`;
  const run = async (client: string, taskId: string) =>
    Number(await redis.eval(JOIN, 1, lane(client), taskId, jobKeys, GRACE_MS, IDLE_LANE_MS));
  return {
    async join(client, taskId) {
      const size = await run(client, taskId);
      return size === 0 ? null : Math.min(size, MAX_PRIORITY);
    },
    async leave(client, taskId) {
      await redis.zrem(lane(client), taskId);
    },
    size: (client) => run(client, ""),
  };
}
