import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { errorFields, log } from "@/lib/server/log";

/**
 * Liveness and readiness for load balancers and process managers: each dependency (database, queue, storage) with
 * its status. 200 `{"status":"ok"}`, or 200 `{"status":"degraded","reasons":[...]}` while the server answers but
 * can't take new files (restarting would not help a full disk); 503 `{"status":"unavailable"}` naming the
 * dependency that does not answer, so a load balancer sends requests elsewhere.
 */
export const GET = handle(async () => {
  try {
    const report = await (await serverContext()).health();
    return Response.json(report, {
      status: report.status === "unavailable" ? 503 : 200,
      headers: { "Cache-Control": "no-store" },
    });
  } catch (error) {
    log("error", "health check failed", errorFields(error));
    return Response.json(
      { status: "unavailable", reasons: ["The server could not open its database or services"] },
      { status: 503 },
    );
  }
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
