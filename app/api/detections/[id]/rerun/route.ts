import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { rerunDetection } from "@/lib/server/handlers/web/detections";

export const POST = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) =>
  rerunDetection(request, await serverContext(), (await params).id),
);

export const { GET, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["POST"]);
