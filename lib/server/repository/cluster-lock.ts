import "server-only";
import type { PgPool } from "./postgres";
import type { ClusterLock } from "./task-repository";

/**
 * A session-level advisory lock, held on one connection for as long as the work runs. No expiry to tune: if the
 * holder dies, PostgreSQL ends its session and the lock goes with it, so the next process's sweep runs.
 */
export function postgresClusterLock(pool: PgPool): ClusterLock {
  return {
    async runExclusive(name, work) {
      const client = await pool.connect();
      let broken = false;
      try {
        const { rows } = await client.query<{ locked: boolean }>(
          "SELECT pg_try_advisory_lock(hashtext('facefinder:lock'), hashtext($1)) AS locked",
          [name],
        );
        if (!rows[0]?.locked) return undefined;
        try {
          return await work();
        } finally {
          await client
            .query("SELECT pg_advisory_unlock(hashtext('facefinder:lock'), hashtext($1))", [name])
            .catch(() => {
              // The connection failed: destroy it rather than return it to the pool still holding the lock.
              broken = true;
            });
        }
      } finally {
        client.release(broken);
      }
    },
  };
}

/** One process: a flag is enough to keep a slow sweep from overlapping the next one. */
export function localClusterLock(): ClusterLock {
  const held = new Set<string>();
  return {
    async runExclusive(name, work) {
      if (held.has(name)) return undefined;
      held.add(name);
      try {
        return await work();
      } finally {
        held.delete(name);
      }
    },
  };
}
