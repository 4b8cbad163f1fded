import { unknownPath } from "@/lib/server/api-error";

/** Any other path under /v1: Magic Hour's JSON 404 instead of the app's HTML page. */
export const { GET, POST, PUT, PATCH, DELETE } = unknownPath();
