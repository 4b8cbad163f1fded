import { handle, methodNotAllowed, notFound } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { deleteDetection } from "@/lib/server/handlers/web/delete-detection";
import { detectionView } from "@/lib/server/handlers/web/detections";

export const GET = handle(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const view = await detectionView(await serverContext(), (await params).id);
  if (!view) throw notFound();
  return Response.json(view, { headers: { "Cache-Control": "no-store" } });
});

/** DELETE with the token the upload returned, in `X-Delete-Token`. */
export const DELETE = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  await deleteDetection(
    await serverContext(),
    (await params).id,
    request.headers.get("x-delete-token") ?? "",
  );
  return new Response(null, { status: 204 });
});

export const { POST, PUT, PATCH, OPTIONS } = methodNotAllowed(["GET", "DELETE"]);
