import { serverContext } from "@/lib/server/context";

/** Liveness and readiness: the database answers. Used by tests and process managers. */
export function GET() {
  serverContext().db.prepare("SELECT 1").get();
  return Response.json({ status: "ok" });
}
