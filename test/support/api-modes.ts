import { readdir } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { parseDeployment } from "../../lib/server/deployment";
import { UPLOAD_SIGNING_KEY } from "../../lib/server/upload-signing";
import { type RunningServer, startServer } from "./next-server";
import { scratchDatabase } from "./postgres-scratch";
import { env, servicesReady, uniqueName } from "./scale-out-services";
import { flushPrefix, startWorker } from "./worker-cluster";

/**
 * The API integration suite runs in both modes: the embedded server (`npm start`, nothing set), and scale-out, a
 * web instance (`PROCESS_ROLE=web`, as `npm run start:web` starts it) with a worker process (`npm run worker`)
 * on a scratch PostgreSQL database, a Redis prefix of its own and the S3 bucket.
 */
export interface ApiDeployment {
  server: RunningServer;
  /** The upload-URL signing key, read where this mode keeps it. */
  signingKey(): Promise<Buffer>;
  /** Whether anything is stored under api-assets/<id>/ (an upload that was refused must leave nothing). */
  storedUnder(id: string): Promise<string[]>;
  stop(): Promise<void>;
}

export interface ApiMode {
  name: "embedded" | "scale-out";
  /** Decided when the suite is defined: false skips it (and says what to set, or fails in CI). */
  ready: boolean;
  start(settings: Record<string, string>): Promise<ApiDeployment>;
}

export const embeddedMode: ApiMode = {
  name: "embedded",
  ready: true,
  async start(settings) {
    const server = await startServer(settings);
    return {
      server,
      async signingKey() {
        const db = new Database(path.join(server.dataDir, "facefinder.sqlite"), { readonly: true });
        try {
          const row = db.prepare("SELECT value FROM settings WHERE key = ?").get(UPLOAD_SIGNING_KEY) as {
            value: string;
          };
          return Buffer.from(row.value, "base64");
        } finally {
          db.close();
        }
      },
      storedUnder: (id) => readdir(path.join(server.dataDir, "files/api-assets", id)).catch(() => []),
      stop: () => server.stop(),
    };
  },
};

export function scaleOutMode(suite: string): ApiMode {
  return {
    name: "scale-out",
    ready: servicesReady(suite, "DATABASE_URL", "REDIS_URL", "S3_BUCKET"),
    async start(settings) {
      const database = await scratchDatabase();
      const redisPrefix = uniqueName("facefinder_api");
      const shared = {
        DATABASE_URL: database.url,
        REDIS_URL: env("REDIS_URL"),
        REDIS_PREFIX: redisPrefix,
        S3_ENDPOINT: env("S3_ENDPOINT"),
        S3_BUCKET: env("S3_BUCKET"),
        S3_ACCESS_KEY_ID: env("S3_ACCESS_KEY_ID"),
        S3_SECRET_ACCESS_KEY: env("S3_SECRET_ACCESS_KEY"),
      };
      const worker = await startWorker({ databaseUrl: database.url, redisPrefix }, settings);
      const server = await startServer({ ...settings, ...shared, PROCESS_ROLE: "web" });
      const { s3BlobStore } = await import("../../lib/server/blobs/s3-blob-store");
      const blobSetting = parseDeployment(shared).blobs;
      if (blobSetting.kind !== "s3") throw new Error("S3_BUCKET is not set");
      const bucket = await s3BlobStore(blobSetting);
      return {
        server,
        async signingKey() {
          const client = new pg.Client({ connectionString: database.url });
          await client.connect();
          try {
            const { rows } = await client.query<{ value: string }>(
              "SELECT value FROM settings WHERE key = $1",
              [UPLOAD_SIGNING_KEY],
            );
            return Buffer.from(rows[0]?.value ?? "", "base64");
          } finally {
            await client.end();
          }
        },
        async storedUnder(id) {
          // The bucket has no folders: what a refused upload could leave is its input object.
          const found = await Promise.all(
            ["jpg", "png", "mp4"].map(async (ext) =>
              (await bucket.head(`api-assets/${id}/input.${ext}`)) ? [`input.${ext}`] : [],
            ),
          );
          return found.flat();
        },
        async stop() {
          await server.stop();
          worker.process.kill("SIGTERM");
          await worker.exited;
          bucket.client.destroy();
          await flushPrefix(redisPrefix);
          await database.drop();
        },
      };
    },
  };
}
