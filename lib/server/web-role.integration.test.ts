import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiDeployment, type ApiMode, embeddedMode, scaleOutMode } from "../../test/support/api-modes";
import { startServer } from "../../test/support/next-server";

/**
 * What a web instance tells its operators, in both modes: `/api/health` with each dependency, `/metrics` behind
 * METRICS_TOKEN; and a web role whose settings are incomplete refusing to start, naming what is missing.
 */
const METRICS_TOKEN = "metrics-token-0123456789";

function operatorSuite(mode: ApiMode) {
  describe.runIf(mode.ready)(`operating a web instance, ${mode.name}`, () => {
    let deployment: ApiDeployment;
    beforeAll(async () => {
      deployment = await mode.start({ API_KEYS: "operator-key-0123456789", METRICS_TOKEN });
    });
    afterAll(() => deployment?.stop());

    it("reports each dependency in /api/health", async () => {
      const response = await fetch(`${deployment.server.origin}/api/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: "ok",
        dependencies: { database: { status: "ok" }, queue: { status: "ok" }, storage: { status: "ok" } },
      });
    });

    it("serves Prometheus metrics to the token's holder only, HTTP latency and queue depth among them", async () => {
      const url = `${deployment.server.origin}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(
        401,
      );
      // A request answered before the scrape, so the latency histogram has a line for it.
      await fetch(`${deployment.server.origin}/v1/face-detection/unknownTaskAAAAAAAAAAA`);
      const scraped = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await scraped.text();
      expect(text).toMatch(
        /facefinder_http_request_duration_seconds_count\{[^}]*route="\/v1\/face-detection\/\{id\}"/,
      );
      expect(text).toMatch(/facefinder_queue_jobs\{[^}]*state="waiting"[^}]*\} \d+/);
      expect(text).toContain(`role="${mode.name === "embedded" ? "all" : "web"}"`);
    });
  });
}

operatorSuite(embeddedMode);
operatorSuite(scaleOutMode("Web role, scale-out"));

describe("a web role without its services", () => {
  it("refuses to start, naming what is missing", async () => {
    const refused = await startServer({
      PROCESS_ROLE: "web",
      DATABASE_URL: "postgres://127.0.0.1:1/none",
    }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(refused).toContain("next start exited early");
    expect(refused).toContain("PROCESS_ROLE=web runs beside other processes");
    expect(refused).toContain("set REDIS_URL, S3_BUCKET");
  });
});
