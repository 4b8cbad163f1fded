import "server-only";
import type { z } from "zod";
import { ConfidenceParam } from "../api/confidence";
import { ApiError } from "./api-error";
import { type BodyRules, bodyChunks } from "./body-stream";
import { clientAddress, requestOrigin } from "./client-address";
import type { ServerContext } from "./context";

export const MAX_JSON_BYTES = 64 * 1024;
/** A JSON body is at most 64 KB: whatever the upload timeouts, it has this long to arrive. */
const JSON_BODY_MS = 30_000;

const jsonTooLarge = () => new ApiError(413, `Request body too large (limit ${MAX_JSON_BYTES} bytes)`);

/** The rules for reading this request's body: a JSON document, or a file of up to MAX_UPLOAD_BYTES. */
export function bodyRules(ctx: ServerContext, request: Request, kind: "json" | "file"): BodyRules {
  const { config } = ctx;
  return {
    gate: ctx.bodyGate,
    address: clientAddress(request.headers, config.trustProxy),
    maxBytes: kind === "json" ? MAX_JSON_BYTES : config.maxUploadBytes,
    idleMs: config.bodyIdleTimeoutMs,
    totalMs: kind === "json" ? Math.min(JSON_BODY_MS, config.bodyTimeoutMs) : config.bodyTimeoutMs,
    tooLarge:
      kind === "json"
        ? jsonTooLarge
        : () =>
            new ApiError(
              413,
              `File too large: the limit is ${Math.floor(config.maxUploadBytes / (1024 * 1024))} MB`,
            ),
  };
}

/** Read and validate a JSON body; every failure is a 4xx whose message names the problem (and the field). */
export async function readJson<T>(request: Request, schema: z.ZodType<T>, rules: BodyRules): Promise<T> {
  const type = request.headers.get("content-type");
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError(415, "Content-Type must be application/json");
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of bodyChunks(request, rules)) chunks.push(chunk);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ApiError(400, "Request body is not valid UTF-8");
  }
  if (text.trim() === "") throw new ApiError(400, "Missing request body");
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
 * otherwise the host the client addressed (X-Forwarded-Host only from a trusted proxy, see client-address.ts).
 */
export function publicOrigin(request: Request, ctx: ServerContext): string {
  return requestOrigin(
    request.headers,
    new URL(request.url).host,
    ctx.config.trustProxy,
    ctx.config.publicBaseUrl,
  );
}

/**
 * `?confidence=` of a web route, checked by the shared schema: the fallback when it is absent (null: required),
 * 400 when it is present but not a number from 0 to 1.
 */
export function queryConfidence(request: Request, fallback: number | null): number {
  const raw = new URL(request.url).searchParams.get("confidence");
  if (raw === null && fallback !== null) return fallback;
  const parsed = ConfidenceParam.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(
      400,
      `confidence: ${parsed.error.issues[0]?.message ?? "must be a number between 0 and 1"}`,
    );
  }
  return parsed.data;
}
