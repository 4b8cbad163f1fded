import { parseConfidence } from "@/lib/api/face-names";
import { handle, methodNotAllowed, notFound } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { detectionView } from "@/lib/server/handlers/web/detections";
import { shareCard } from "@/lib/server/share-card";

/** GET /api/detections/{id}/card.jpg?confidence=0.30: the share card of what that link shows. */
export const GET = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const ctx = await serverContext();
  const view = await detectionView(ctx, (await params).id);
  if (!view) throw notFound();
  const confidence = parseConfidence(new URL(request.url).searchParams.get("confidence"), view.confidence);
  const card = await shareCard(ctx, view, confidence);
  if (!card) throw notFound();
  return new Response(new Uint8Array(card), {
    headers: { "Content-Type": "image/jpeg", "Cache-Control": "public, max-age=3600" },
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
