import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { getFaceDetection } from "@/lib/server/handlers/v1/face-detection";

export const GET = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) =>
  getFaceDetection(request, await serverContext(), (await params).id),
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
