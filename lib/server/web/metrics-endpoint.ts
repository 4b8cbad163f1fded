import "server-only";
import { timingSafeEqual } from "node:crypto";
import { ApiError } from "../api-error";
import type { ServerContext } from "../context";

/**
 * GET /metrics on a web instance. With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>` is
 * answered (a public instance's queue depth and latencies are nobody else's business); unset, anyone who reaches
 * the instance may scrape it, as with the worker's /metrics on WORKER_PORT: keep it off the public network then.
 */
export async function metricsAnswer(request: Request, ctx: ServerContext): Promise<Response> {
  const token = ctx.deployment.metricsToken;
  if (token) {
    const offered = Buffer.from(/^Bearer (.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "");
    const expected = Buffer.from(token);
    if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
      throw new ApiError(401, "Unauthorized", { "WWW-Authenticate": 'Bearer realm="metrics"' });
    }
  }
  const { contentType, body } = await ctx.metrics.render();
  return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
}
