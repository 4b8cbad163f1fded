import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { createUploadUrls } from "@/lib/server/handlers/v1/upload-urls";

export const POST = handle(async (request: Request) => createUploadUrls(request, await serverContext()));

export const { GET, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["POST"]);
