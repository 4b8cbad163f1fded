import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";

/** Liveness and readiness: the database answers. Used by tests and process managers. */
export const GET = handle(async () => {
  serverContext().db.prepare("SELECT 1").get();
  return Response.json({ status: "ok" });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
