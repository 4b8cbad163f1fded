import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { errorFields, log } from "@/lib/server/log";

/**
 * Liveness and readiness for tests and process managers: 200 `{"status":"ok"}`, or 200 `{"status":"degraded",
 * "reasons":[...]}` while the server answers but can't take new files (restarting would not help a full disk);
 * 503 when the database can't be read.
 */
export const GET = handle(async () => {
  try {
    return Response.json(serverContext().health());
  } catch (error) {
    log("error", "health check failed", errorFields(error));
    return Response.json({ status: "error", reasons: ["The database does not answer"] }, { status: 503 });
  }
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
