import { handle } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { acceptWebUpload } from "@/lib/server/web-detections";

export const POST = handle(async (request: Request) =>
  Response.json(await acceptWebUpload(request, serverContext())),
);
