import type { z } from "zod";
import { ApiError } from "./api-error";

const MAX_JSON_BYTES = 64 * 1024;

/** Read and validate a JSON body; every failure is a 400 whose message names the problem (and the field). */
export async function readJson<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  const type = request.headers.get("content-type");
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError(415, "Content-Type must be application/json");
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_JSON_BYTES)
    throw new ApiError(413, `Request body too large (limit ${MAX_JSON_BYTES} bytes)`);
  const text = await request.text();
  if (text.trim() === "") throw new ApiError(400, "Missing request body");
  if (text.length > MAX_JSON_BYTES)
    throw new ApiError(413, `Request body too large (limit ${MAX_JSON_BYTES} bytes)`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, "Request body is not valid JSON");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join(".") : "body";
    throw new ApiError(400, `Invalid request: ${field}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/**
 * The origin that absolute URLs in responses use: PUBLIC_BASE_URL when configured (recommended behind a proxy),
 * otherwise the host the client addressed, so that crop URLs work from wherever the client reached this server.
 */
export function publicOrigin(request: Request, configured: string | undefined): string {
  if (configured) return configured;
  const url = new URL(request.url);
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host") ?? url.host;
  const proto = request.headers.get("x-forwarded-proto") ?? url.protocol.replace(/:$/, "");
  return `${proto.split(",")[0]?.trim()}://${host.split(",")[0]?.trim()}`;
}
