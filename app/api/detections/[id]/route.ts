import { handle, notFound } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { detectionView } from "@/lib/server/web-detections";

export const GET = handle(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const view = detectionView(serverContext(), (await params).id);
  if (!view) throw notFound();
  return Response.json(view, { headers: { "Cache-Control": "no-store" } });
});
