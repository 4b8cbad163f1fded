import { handle } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { createUploadUrls } from "@/lib/server/handlers/upload-urls";

export const POST = handle((request: Request) => createUploadUrls(request, serverContext()));
