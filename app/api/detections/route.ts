import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { issueDeleteToken } from "@/lib/server/handlers/web/delete-detection";
import { acceptWebUpload } from "@/lib/server/handlers/web/detections";

export const POST = handle(async (request: Request) => {
  const ctx = await serverContext();
  const { id, headers } = await acceptWebUpload(request, ctx);
  // Only this answer ever carries the token: the uploading browser keeps it to delete the result later.
  return Response.json({ id, deleteToken: await issueDeleteToken(ctx, id) }, { headers });
});

export const { GET, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["POST"]);
