import { openApiDocument } from "@/lib/api/openapi";
import { handle, methodNotAllowed } from "@/lib/server/api-error";

const document = openApiDocument();

/** The OpenAPI 3.1 document of this API, generated from the schemas the handlers validate with. No token needed. */
export const GET = handle(async () =>
  Response.json(document, { headers: { "Cache-Control": "public, max-age=300" } }),
);
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
