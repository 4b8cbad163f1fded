import { describe, expect, it } from "vitest";
import { parseDeployment } from "./deployment";

const PG = "postgres://app@db.internal:5432/facefinder";
const REDIS = "redis://cache.internal:6379";
const S3 = { S3_ENDPOINT: "http://objects.internal:9000", S3_BUCKET: "faces" };

describe("parseDeployment", () => {
  it("is the embedded default when nothing is set", () => {
    expect(parseDeployment({})).toEqual({
      role: "all",
      database: { kind: "sqlite" },
      queue: { kind: "in-process" },
      blobs: { kind: "local" },
      workerPort: 9464,
      redisPrefix: "facefinder",
    });
  });

  it("reads a full scale-out set with the documented defaults", () => {
    const deployment = parseDeployment({
      DATABASE_URL: PG,
      REDIS_URL: REDIS,
      ...S3,
      S3_ACCESS_KEY_ID: "id",
      S3_SECRET_ACCESS_KEY: "secret",
      PROCESS_ROLE: "worker",
      WORKER_PORT: "9500",
      REDIS_PREFIX: "faces_eu",
    });
    expect(deployment).toEqual({
      role: "worker",
      database: { kind: "postgres", url: PG },
      queue: { kind: "redis", url: REDIS },
      blobs: {
        kind: "s3",
        endpoint: "http://objects.internal:9000",
        bucket: "faces",
        region: "us-east-1",
        credentials: { accessKeyId: "id", secretAccessKey: "secret" },
        forcePathStyle: true,
      },
      workerPort: 9500,
      redisPrefix: "faces_eu",
    });
  });

  it("uses virtual-host addressing on AWS itself (no endpoint) unless told otherwise", () => {
    const aws = parseDeployment({ S3_BUCKET: "faces", S3_REGION: "eu-west-1" });
    expect(aws.blobs).toMatchObject({
      kind: "s3",
      endpoint: undefined,
      region: "eu-west-1",
      forcePathStyle: false,
    });
    expect(aws.blobs).toMatchObject({ credentials: undefined });
    const minio = parseDeployment({ ...S3, S3_FORCE_PATH_STYLE: "false" });
    expect(minio.blobs).toMatchObject({ forcePathStyle: false });
  });

  it("lets one process use PostgreSQL with local files (nothing else shares them)", () => {
    const deployment = parseDeployment({ DATABASE_URL: PG });
    expect(deployment.database.kind).toBe("postgres");
    expect(deployment.blobs.kind).toBe("local");
    expect(deployment.queue.kind).toBe("in-process");
  });

  it("refuses a web or worker process without every shared service, naming the missing ones", () => {
    expect(() => parseDeployment({ PROCESS_ROLE: "web", DATABASE_URL: PG })).toThrow(
      "PROCESS_ROLE=web runs beside other processes, which must share tasks, jobs and files: set REDIS_URL, S3_BUCKET",
    );
    expect(() => parseDeployment({ PROCESS_ROLE: "worker" })).toThrow(
      "set DATABASE_URL, REDIS_URL, S3_BUCKET",
    );
  });

  it("refuses a shared queue over a process-local database or local files", () => {
    expect(() => parseDeployment({ REDIS_URL: REDIS, ...S3 })).toThrow(
      "REDIS_URL shares the job queue between processes, which then also need a shared database and object store: set DATABASE_URL",
    );
    expect(() => parseDeployment({ REDIS_URL: REDIS, DATABASE_URL: PG })).toThrow("set S3_BUCKET");
  });

  it("refuses S3 settings without a bucket, and half a key pair", () => {
    expect(() => parseDeployment({ S3_ENDPOINT: "http://objects.internal:9000" })).toThrow(
      "S3_ENDPOINT set but S3_BUCKET is missing",
    );
    expect(() => parseDeployment({ S3_BUCKET: "faces", S3_ACCESS_KEY_ID: "id" })).toThrow(
      "S3_ACCESS_KEY_ID set without S3_SECRET_ACCESS_KEY",
    );
  });

  it("refuses malformed values with the variable's name", () => {
    expect(() => parseDeployment({ DATABASE_URL: "mysql://db/x" })).toThrow(
      "DATABASE_URL: must be a postgres:// URL",
    );
    expect(() => parseDeployment({ REDIS_URL: "cache:6379" })).toThrow("REDIS_URL: must be a redis://");
    expect(() => parseDeployment({ S3_BUCKET: "Faces_Bucket" })).toThrow("S3_BUCKET: must be a bucket name");
    expect(() => parseDeployment({ PROCESS_ROLE: "both" })).toThrow("PROCESS_ROLE");
    expect(() => parseDeployment({ WORKER_PORT: "70000" })).toThrow("WORKER_PORT");
    expect(() => parseDeployment({ S3_BUCKET: "faces", S3_FORCE_PATH_STYLE: "yes" })).toThrow(
      "S3_FORCE_PATH_STYLE: must be true or false",
    );
  });

  it("treats blank values as unset", () => {
    expect(parseDeployment({ DATABASE_URL: "", REDIS_URL: " ", S3_BUCKET: "" }).database.kind).toBe("sqlite");
  });
});
