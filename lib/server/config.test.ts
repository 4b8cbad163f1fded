import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, type ServerConfig } from "./config";

const MB = 1024 * 1024;
const DAY_MS = 24 * 3600 * 1000;

/**
 * One row per setting: its variable, the field it sets, the default, a valid value with what it becomes, and an
 * invalid value with the message the server refuses to start with.
 */
const SETTINGS: Array<{
  variable: string;
  field: keyof ServerConfig;
  byDefault: unknown;
  valid: [string, unknown];
  invalid: [string, string];
}> = [
  {
    variable: "API_KEYS",
    field: "apiKeys",
    byDefault: [],
    valid: [" key-one-123, key-two-456 ,", ["key-one-123", "key-two-456"]],
    invalid: ["good-key-123,short", "API_KEYS.1: each API key must be at least 8 characters"],
  },
  {
    variable: "PUBLIC_BASE_URL",
    field: "publicBaseUrl",
    byDefault: undefined,
    valid: ["https://faces.example/app//", "https://faces.example/app"],
    invalid: ["faces.example", "PUBLIC_BASE_URL: Invalid URL"],
  },
  {
    variable: "MAX_UPLOAD_BYTES",
    field: "maxUploadBytes",
    byDefault: 200 * MB,
    valid: ["5242880", 5 * MB],
    invalid: ["1.5", "MAX_UPLOAD_BYTES: Invalid input: expected int, received number"],
  },
  {
    variable: "UPLOAD_URL_TTL_SECONDS",
    field: "uploadUrlTtlSeconds",
    byDefault: 3600,
    valid: ["60", 60],
    invalid: ["0", "UPLOAD_URL_TTL_SECONDS: Too small: expected number to be >0"],
  },
  {
    variable: "URL_DOWNLOAD_TIMEOUT_SECONDS",
    field: "urlDownloadTimeoutMs",
    byDefault: 30_000,
    valid: ["2.5", 2500],
    invalid: ["soon", "URL_DOWNLOAD_TIMEOUT_SECONDS: Invalid input: expected number, received NaN"],
  },
  {
    variable: "DETECTION_CONCURRENCY",
    field: "detectionConcurrency",
    byDefault: 1,
    valid: ["8", 8],
    invalid: ["9", "DETECTION_CONCURRENCY: Too big: expected number to be <=8"],
  },
  {
    variable: "MAX_IMAGE_PIXELS",
    field: "maxImagePixels",
    byDefault: 50_000_000,
    valid: ["1000000", 1_000_000],
    invalid: ["-5", "MAX_IMAGE_PIXELS: Too small: expected number to be >0"],
  },
  {
    variable: "MAX_VIDEO_SECONDS",
    field: "maxVideoSeconds",
    byDefault: 600,
    valid: ["90.5", 90.5],
    invalid: ["0", "MAX_VIDEO_SECONDS: Too small: expected number to be >0"],
  },
  {
    variable: "MAX_DETECTION_SECONDS",
    field: "maxDetectionMs",
    byDefault: 60_000,
    valid: ["1.5", 1500],
    invalid: ["-1", "MAX_DETECTION_SECONDS: Too small: expected number to be >0"],
  },
  {
    variable: "MAX_VIDEO_PROCESSING_SECONDS",
    field: "maxVideoProcessingSeconds",
    byDefault: 1800,
    valid: ["120", 120],
    invalid: ["0", "MAX_VIDEO_PROCESSING_SECONDS: Too small: expected number to be >0"],
  },
  {
    variable: "RATE_LIMIT_PER_KEY",
    field: "rateLimitPerKey",
    byDefault: 120,
    valid: ["0", 0],
    invalid: ["-1", "RATE_LIMIT_PER_KEY: Too small: expected number to be >=0"],
  },
  {
    variable: "RATE_LIMIT_PER_ADDRESS",
    field: "rateLimitPerAddress",
    byDefault: 120,
    valid: ["30", 30],
    invalid: ["2.5", "RATE_LIMIT_PER_ADDRESS: Invalid input: expected int, received number"],
  },
  {
    variable: "MIN_FREE_DISK_BYTES",
    field: "minFreeDiskBytes",
    byDefault: 256 * MB,
    valid: ["0", 0],
    invalid: ["-1", "MIN_FREE_DISK_BYTES: Too small: expected number to be >=0"],
  },
  {
    variable: "RATE_LIMIT_WEB_PER_ADDRESS",
    field: "rateLimitWebPerAddress",
    byDefault: 60,
    valid: ["0", 0],
    invalid: ["many", "RATE_LIMIT_WEB_PER_ADDRESS: Invalid input: expected number, received NaN"],
  },
  {
    variable: "RATE_LIMIT_RERUNS_PER_ADDRESS",
    field: "rateLimitRerunsPerAddress",
    byDefault: 10,
    valid: ["3", 3],
    invalid: ["-3", "RATE_LIMIT_RERUNS_PER_ADDRESS: Too small: expected number to be >=0"],
  },
  {
    variable: "TRUST_PROXY",
    field: "trustProxy",
    byDefault: { kind: "none" },
    valid: ["2", { kind: "hops", hops: 2 }],
    invalid: [
      "proxy.internal",
      "TRUST_PROXY: 'proxy.internal' is not an IP address, a CIDR range or a hop count",
    ],
  },
  {
    variable: "BODY_IDLE_TIMEOUT_SECONDS",
    field: "bodyIdleTimeoutMs",
    byDefault: 30_000,
    valid: ["5", 5000],
    invalid: ["0", "BODY_IDLE_TIMEOUT_SECONDS: Too small: expected number to be >0"],
  },
  {
    variable: "BODY_TIMEOUT_SECONDS",
    field: "bodyTimeoutMs",
    byDefault: 280_000,
    valid: ["60", 60_000],
    invalid: ["-60", "BODY_TIMEOUT_SECONDS: Too small: expected number to be >0"],
  },
  {
    variable: "UPLOADS_PER_ADDRESS",
    field: "uploadsPerAddress",
    byDefault: 8,
    valid: ["1", 1],
    invalid: ["0", "UPLOADS_PER_ADDRESS: Too small: expected number to be >0"],
  },
  {
    variable: "MAX_CONCURRENT_UPLOADS",
    field: "maxConcurrentUploads",
    byDefault: 100,
    valid: ["4", 4],
    invalid: ["0", "MAX_CONCURRENT_UPLOADS: Too small: expected number to be >0"],
  },
  {
    variable: "QUEUED_PER_CLIENT",
    field: "queuedPerClient",
    byDefault: 20,
    valid: ["2", 2],
    invalid: ["1.5", "QUEUED_PER_CLIENT: Invalid input: expected int, received number"],
  },
  {
    variable: "RETENTION_DAYS",
    field: "retentionMs",
    byDefault: 7 * DAY_MS,
    valid: ["0.5", DAY_MS / 2],
    invalid: ["-1", "RETENTION_DAYS: Too small: expected number to be >0"],
  },
  {
    variable: "RETENTION_SWEEP_SECONDS",
    field: "retentionSweepMs",
    byDefault: 3_600_000,
    valid: ["1", 1000],
    invalid: ["0", "RETENTION_SWEEP_SECONDS: Too small: expected number to be >0"],
  },
];

describe("parseConfig", () => {
  it.each(SETTINGS)("$variable defaults to $byDefault", ({ field, byDefault }) => {
    expect(parseConfig({})[field]).toEqual(byDefault);
  });

  it.each(SETTINGS)("$variable takes a valid value", ({ variable, field, valid: [value, expected] }) => {
    expect(parseConfig({ [variable]: value })[field]).toEqual(expected);
  });

  it.each(SETTINGS)(
    "$variable refuses an invalid value, naming it",
    ({ variable, invalid: [value, message] }) => {
      expect(() => parseConfig({ [variable]: value })).toThrow(`Invalid configuration: ${message}`);
    },
  );

  it("lists every problem at once, not just the first", () => {
    expect(() => parseConfig({ DETECTION_CONCURRENCY: "0", RETENTION_DAYS: "never" })).toThrow(
      "Invalid configuration: DETECTION_CONCURRENCY: Too small: expected number to be >=1; " +
        "RETENTION_DAYS: Invalid input: expected number, received NaN",
    );
  });

  it("resolves DATA_DIR against the working directory, ./data by default", () => {
    expect(parseConfig({}).dataDir).toBe(path.resolve("data"));
    expect(parseConfig({ DATA_DIR: "/srv/faces" }).dataDir).toBe("/srv/faces");
  });

  it("reads a TRUST_PROXY list of addresses and ranges, and refuses a bad prefix", () => {
    const { trustProxy } = parseConfig({ TRUST_PROXY: "10.0.0.0/8, ::1" });
    expect(trustProxy.kind).toBe("list");
    if (trustProxy.kind !== "list") return;
    expect(trustProxy.list.check("10.1.2.3", "ipv4")).toBe(true);
    expect(trustProxy.list.check("::1", "ipv6")).toBe(true);
    expect(trustProxy.list.check("192.168.0.1", "ipv4")).toBe(false);
    expect(() => parseConfig({ TRUST_PROXY: "10.0.0.0/33" })).toThrow(
      "Invalid configuration: TRUST_PROXY: '10.0.0.0/33' has an invalid prefix length",
    );
  });
});

describe("parseConfig: the provider", () => {
  it("is the local engine without a token", () => {
    expect(parseConfig({})).toMatchObject({ provider: "local", magicHour: null });
  });

  it("is Magic Hour when a token is set, at its public API unless told otherwise", () => {
    expect(parseConfig({ MAGIC_HOUR_API_TOKEN: "mhk_live_x" })).toMatchObject({
      provider: "magic-hour",
      magicHour: { token: "mhk_live_x", baseUrl: "https://api.magichour.ai" },
    });
    const proxied = parseConfig({
      MAGIC_HOUR_API_TOKEN: "mhk_live_x",
      MAGIC_HOUR_BASE_URL: "http://mh.test:9/",
    });
    expect(proxied.magicHour?.baseUrl).toBe("http://mh.test:9");
  });

  it("stays local with FACE_DETECTION_PROVIDER=local, token or not", () => {
    const config = parseConfig({ FACE_DETECTION_PROVIDER: "local", MAGIC_HOUR_API_TOKEN: "mhk_live_x" });
    expect(config).toMatchObject({ provider: "local", magicHour: null });
  });

  it.each([
    [
      { FACE_DETECTION_PROVIDER: "magic-hour" },
      "FACE_DETECTION_PROVIDER=magic-hour needs MAGIC_HOUR_API_TOKEN",
    ],
    [
      { FACE_DETECTION_PROVIDER: "remote" },
      'FACE_DETECTION_PROVIDER: Invalid option: expected one of "local"|"magic-hour"',
    ],
    [{ MAGIC_HOUR_API_TOKEN: "" }, "MAGIC_HOUR_API_TOKEN: Too small: expected string to have >=1 characters"],
    [{ MAGIC_HOUR_BASE_URL: "api.magichour.ai" }, "MAGIC_HOUR_BASE_URL: Invalid URL"],
  ])("refuses %o", (env, message) => {
    expect(() => parseConfig(env)).toThrow(`Invalid configuration: ${message}`);
  });
});
