import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { serveAsset } from "@/lib/server/handlers/v1/assets";

type Params = { params: Promise<{ id: string; file: string }> };

export const GET = handle(async (request: Request, { params }: Params) => {
  const { id, file } = await params;
  return serveAsset((await serverContext()).blobs, id, file, "GET", request.headers.get("range"));
});

export const HEAD = handle(async (_request: Request, { params }: Params) => {
  const { id, file } = await params;
  return serveAsset((await serverContext()).blobs, id, file, "HEAD");
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
