import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDatabase } from "../../../test/support/postgres-scratch";
import { servicesReady } from "../../../test/support/scale-out-services";
import { postgresClusterLock } from "./cluster-lock";
import { migrate, openPostgres, type PgPool } from "./postgres";
import { POSTGRES_MIGRATIONS } from "./postgres-schema";
import { postgresTaskRepository } from "./postgres-task-repository";
import { postgresSharedSettings, postgresUploadRepository } from "./postgres-upload-repository";
import { claimed, describeRepositoryContract, face, newTask, OPTIONS } from "./repository-contract";
import { exhaustedMessage, LeaseLostError } from "./task-repository";

const ready = servicesReady("PostgreSQL repository", "DATABASE_URL");

describe.runIf(ready)("PostgreSQL", () => {
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  beforeAll(async () => {
    scratch = await scratchDatabase();
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  describeRepositoryContract("PostgreSQL", async () => {
    const pool = await openPostgres(scratch.url);
    return {
      tasks: postgresTaskRepository(pool),
      uploads: postgresUploadRepository(pool),
      settings: postgresSharedSettings(pool),
      close: () => pool.end(),
    };
  });

  describe("between processes", () => {
    let pools: PgPool[] = [];
    const open = async () => {
      const pool = await openPostgres(scratch.url, { max: 4 });
      pools.push(pool);
      return pool;
    };
    afterAll(async () => {
      await Promise.all(pools.map((pool) => pool.end()));
      pools = [];
    });

    it("migrates once when many processes start together", async () => {
      const fresh = await scratchDatabase();
      try {
        const starting = await Promise.all(
          Array.from({ length: 6 }, () => openPostgres(fresh.url, { max: 2 })),
        );
        const [first] = starting;
        const { rows } = await (first as PgPool).query(
          "SELECT version FROM schema_migrations ORDER BY version",
        );
        expect(rows.map((row) => row.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
        expect(await migrate(first as PgPool)).toBe(0);
        await Promise.all(starting.map((pool) => pool.end()));
      } finally {
        await fresh.drop();
      }
    });

    it("lets exactly one of many racing workers claim a task", async () => {
      const [a, b] = [postgresTaskRepository(await open()), postgresTaskRepository(await open())];
      const task = await a.create(newTask());
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(task.id, { ...OPTIONS, worker: `w${i}` })),
      );
      expect(results.filter((result) => result.claimed)).toHaveLength(1);
      expect(results.filter((result) => !result.claimed && result.reason === "held")).toHaveLength(9);
    });

    it("gives a task whose worker died to the next worker as a new attempt, and refuses the dead one's writes", async () => {
      const [dead, alive] = [postgresTaskRepository(await open()), postgresTaskRepository(await open())];
      const task = await dead.create(newTask());
      const lost = await claimed(dead, task.id, { ...OPTIONS, leaseMs: 1 });
      await dead.addFace(lost, face(task.id, 0));
      await dead.setProgress(lost, 0.5);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await alive.stranded(1000)).toContain(task.id);

      const next = await claimed(alive, task.id);
      expect(next.attempt).toBe(2);
      expect(await alive.faces(task.id)).toEqual([]);
      expect((await alive.get(task.id))?.progress).toBeNull();
      await expect(dead.addFace(lost, face(task.id, 1))).rejects.toBeInstanceOf(LeaseLostError);
      await expect(dead.complete(lost, { width: 1, height: 1 })).rejects.toBeInstanceOf(LeaseLostError);

      await alive.addFace(next, face(task.id, 0));
      await alive.complete(next, { width: 640, height: 480 });
      expect((await alive.faces(task.id)).map((f) => f.index)).toEqual([0]);
      expect(await alive.get(task.id)).toMatchObject({ status: "complete", width: 640 });
    });

    it("keeps no face a stale attempt writes while the next attempt claims the task", async () => {
      const [stale, fresh] = [postgresTaskRepository(await open()), postgresTaskRepository(await open())];
      const task = await stale.create(newTask());
      const lost = await claimed(stale, task.id, { ...OPTIONS, leaseMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Stale writes in flight on one connection pool, the new claim on another: whichever order the database
      // serialises them in, the new attempt starts with no faces.
      const writes = Array.from({ length: 12 }, (_, i) =>
        stale.addFace(lost, face(task.id, i)).catch(() => "refused"),
      );
      const next = await claimed(fresh, task.id);
      await Promise.all(writes);
      expect(await fresh.faces(task.id)).toEqual([]);
      await fresh.addFace(next, face(task.id, 3));
      expect((await fresh.faces(task.id)).map((f) => f.index)).toEqual([3]);
    });

    it("renews a live lease, and ends a task in error when its worker dies on every attempt", async () => {
      const tasks = postgresTaskRepository(await open());
      const task = await tasks.create(newTask());
      const options = { ...OPTIONS, leaseMs: 1, maxAttempts: 2 };
      const first = await claimed(tasks, task.id, options);
      await tasks.renew(first, 60_000);
      expect(await tasks.claim(task.id, options)).toMatchObject({ claimed: false, reason: "held" });
      expect(await tasks.stranded(1000)).not.toContain(task.id);
      await tasks.renew(first, 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await claimed(tasks, task.id, options)).attempt).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await tasks.claim(task.id, options)).toEqual({ claimed: false, reason: "exhausted" });
      expect(await tasks.get(task.id)).toMatchObject({ status: "error", error: exhaustedMessage(2) });
      expect(await tasks.stranded(1000)).not.toContain(task.id);
    });

    it("keeps a parked task out of the sweeper until its wake-up is overdue", async () => {
      const tasks = postgresTaskRepository(await open());
      const task = await tasks.create(newTask({ provider: "magic-hour" }));
      const claim = await claimed(tasks, task.id);
      await tasks.park(claim, 60_000);
      expect(await tasks.stranded(1000)).not.toContain(task.id);
      const again = await claimed(tasks, task.id);
      await tasks.park(again, 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await tasks.stranded(1000)).toContain(task.id);
      expect((await claimed(tasks, task.id)).attempt).toBe(1);
    });

    it("shares one upload-signing secret between processes", async () => {
      const [a, b] = [postgresSharedSettings(await open()), postgresSharedSettings(await open())];
      const [fromA, fromB] = await Promise.all([
        a.secret("upload_signing_key"),
        b.secret("upload_signing_key"),
      ]);
      expect(fromA.equals(fromB)).toBe(true);
    });

    it("runs locked work in one process at a time, and frees the lock when its holder's connection dies", async () => {
      const [a, b] = [await open(), await open()];
      const lockA = postgresClusterLock(a);
      const lockB = postgresClusterLock(b);
      let release = () => {};
      const holding = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started = () => {};
      const isHolding = new Promise<void>((resolve) => {
        started = resolve;
      });
      const byA = lockA.runExclusive("retention", async () => {
        started();
        await holding;
        return "a";
      });
      await isHolding;
      expect(await lockB.runExclusive("retention", async () => "b")).toBeUndefined();
      expect(await lockB.runExclusive("other", async () => "b")).toBe("b");
      release();
      expect(await byA).toBe("a");
      expect(await lockB.runExclusive("retention", async () => "b")).toBe("b");

      // A holder whose session ends (its process was killed) no longer holds the lock.
      const c = await open();
      const held = await c.connect();
      await held.query("SELECT pg_advisory_lock(hashtext('facefinder:lock'), hashtext('retention'))");
      expect(await lockB.runExclusive("retention", async () => "b")).toBeUndefined();
      const { rows } = await held.query("SELECT pg_backend_pid() AS pid");
      held.on("error", () => {});
      await b.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
      held.release(true);
      // The backend lets go of its locks as it exits, a moment after it is told to.
      while ((await b.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [rows[0].pid])).rowCount) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await lockB.runExclusive("retention", async () => "b")).toBe("b");
    });
  });
});
