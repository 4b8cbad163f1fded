import { parseConfidence } from "@/lib/api/face-names";
import { handle, methodNotAllowed, notFound } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { facesCsv } from "@/lib/server/exports/face-table";
import { detectionView } from "@/lib/server/handlers/web/detections";

/** GET /api/detections/{id}/faces.csv?confidence=0.5: the faces at a threshold, named as in the ZIP. */
export const GET = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const view = await detectionView(await serverContext(), id);
  if (view?.status !== "complete" || view.expired) throw notFound();
  const confidence = parseConfidence(new URL(request.url).searchParams.get("confidence"), view.confidence);
  return new Response(facesCsv(view, confidence), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="faces-${id}.csv"`,
      "Cache-Control": "no-store",
    },
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
