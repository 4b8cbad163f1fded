import "server-only";
import { createServer, type Server } from "node:http";
import type { HealthReport } from "./health";
import type { Metrics } from "./metrics";

/**
 * The worker role serves no pages, only what a process manager and Prometheus ask of it: `/healthz` (200 when every
 * dependency answers, 503 naming the ones that don't) and `/metrics`.
 */
export async function startWorkerHttp(options: {
  port: number;
  host?: string;
  health: () => Promise<HealthReport>;
  metrics: Metrics;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? "/", "http://worker");
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { Allow: "GET, HEAD" }).end();
      } else if (url.pathname === "/healthz") {
        const report = await options.health();
        response
          .writeHead(report.status === "ok" ? 200 : 503, { "Content-Type": "application/json" })
          .end(JSON.stringify(report));
      } else if (url.pathname === "/metrics") {
        const { contentType, body } = await options.metrics.render();
        response.writeHead(200, { "Content-Type": contentType }).end(body);
      } else {
        response
          .writeHead(404, { "Content-Type": "application/json" })
          .end(JSON.stringify({ message: "Not Found" }));
      }
    } catch (error) {
      console.error("[worker-http]", error);
      response
        .writeHead(500, { "Content-Type": "application/json" })
        .end(JSON.stringify({ message: "Internal error" }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", resolve);
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : options.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
