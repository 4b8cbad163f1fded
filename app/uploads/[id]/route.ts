import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { receiveUpload } from "@/lib/server/handlers/v1/receive-upload";

export const PUT = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) =>
  receiveUpload(request, await serverContext(), (await params).id),
);

export const { GET, POST, PATCH, DELETE, OPTIONS } = methodNotAllowed(["PUT"]);
