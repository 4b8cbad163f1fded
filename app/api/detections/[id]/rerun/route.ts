import { handle, methodNotAllowed, notFound } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { rerunDetection } from "@/lib/server/web-detections";

export const POST = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const confidence = Number(new URL(request.url).searchParams.get("confidence"));
  const rerun = rerunDetection(serverContext(), (await params).id, confidence);
  if (!rerun) throw notFound();
  return Response.json(rerun);
});

export const { GET, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["POST"]);
