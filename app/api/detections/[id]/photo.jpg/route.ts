import { parseConfidence } from "@/lib/api/face-names";
import { ApiError, handle, methodNotAllowed, notFound } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { exportPhoto } from "@/lib/server/handlers/web/photo-export";

/** GET /api/detections/{id}/photo.jpg?style=framed|blurred&confidence=0.5: the full-size photo, framed or redacted. */
export const GET = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const query = new URL(request.url).searchParams;
  const style = query.get("style");
  if (style !== "framed" && style !== "blurred") throw new ApiError(400, "style must be framed or blurred");
  const photo = await exportPhoto(
    await serverContext(),
    (await params).id,
    style,
    parseConfidence(query.get("confidence"), 0.5),
  );
  if (!photo) throw notFound();
  return new Response(new Uint8Array(photo.bytes), {
    headers: {
      "Content-Type": "image/jpeg",
      "Content-Disposition": `attachment; filename="${photo.name}"`,
      "Cache-Control": "no-store",
    },
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
