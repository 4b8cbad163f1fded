import pg from "pg";
import { env, uniqueName } from "./scale-out-services";

/**
 * A database of its own for one test file, on the PostgreSQL that DATABASE_URL points at: migrations and advisory
 * locks are per database, so test runs (and other helpers' runs) can't see each other.
 */
export async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: env("DATABASE_URL") });
  await admin.connect();
  const name = uniqueName("facefinder_test");
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(env("DATABASE_URL"));
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleaner = new pg.Client({ connectionString: env("DATABASE_URL") });
      await cleaner.connect();
      await cleaner.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleaner.end();
    },
  };
}
