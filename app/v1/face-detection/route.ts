import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { createFaceDetection } from "@/lib/server/handlers/v1/face-detection";

export const POST = handle(async (request: Request) => createFaceDetection(request, await serverContext()));

export const { GET, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["POST"]);
