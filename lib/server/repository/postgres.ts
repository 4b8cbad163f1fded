import "server-only";
import pg from "pg";
import { POSTGRES_MIGRATIONS } from "./postgres-schema";

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** The database's clock in milliseconds: leases are compared on one clock, whatever the hosts' clocks say. */
export const DB_NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

const INT8 = 20;

// BIGINT comes back as a string by default (it can exceed 2^53); our BIGINTs are milliseconds and byte counts.
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 && format !== "binary"
      ? Number
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Open a pool and bring the schema up to date (safely when several processes start at once). */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<PgPool> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types });
  // An idle connection that the server drops emits here; unhandled, it would end the process.
  pool.on("error", (error) => console.error("[postgres] idle connection lost:", error.message));
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pool;
}

/** Run `work` in one transaction on one connection; rolled back if it throws. */
export async function transaction<T>(pool: PgPool, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Apply pending migrations under a transaction-scoped advisory lock: processes starting together queue on the lock,
 * and each one after the first finds the work done. DDL in PostgreSQL is transactional, so a migration that fails
 * leaves nothing half-applied.
 */
export async function migrate(pool: PgPool): Promise<number> {
  return transaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('facefinder:migrate'))");
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ applied: number }>(
      "SELECT coalesce(max(version), 0)::int AS applied FROM schema_migrations",
    );
    const applied = rows[0]?.applied ?? 0;
    if (applied > POSTGRES_MIGRATIONS.length) {
      throw new Error(
        `The database schema is at version ${applied}, newer than this build knows (${POSTGRES_MIGRATIONS.length}): run a newer build`,
      );
    }
    for (let version = applied; version < POSTGRES_MIGRATIONS.length; version++) {
      await client.query(POSTGRES_MIGRATIONS[version] as string);
      await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version + 1]);
    }
    return POSTGRES_MIGRATIONS.length - applied;
  });
}
