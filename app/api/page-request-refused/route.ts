import { methodNotAllowed } from "@/lib/server/api-error";

/**
 * Where the HTTP hook (lib/server/http-hooks.ts) sends requests with a method other than GET or HEAD to a page:
 * the 405 every route gives, before any of the body is read; the connection closes after it (errorResponse).
 */
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
