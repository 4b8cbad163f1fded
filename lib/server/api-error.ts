import "server-only";
import { randomUUID } from "node:crypto";
import { observeHttpRequest } from "./http-observer";
import { ID_PATTERN } from "./ids";
import { errorFields, type LogLevel, log } from "./log";
import { isStorageFull, STORAGE_FULL_MESSAGE } from "./storage-full";

/**
 * The one error type route handlers throw. Its message is shown to the client as Magic Hour's `{ "message": ... }`;
 * anything else thrown is an internal error: logged, and answered with a generic message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 408 | 409 | 413 | 415 | 422 | 429 | 500 | 503 | 507,
    message: string,
    /** Extra response headers (Retry-After, RateLimit…). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const unauthorized = () => new ApiError(401, "Unauthorized");
export const notFound = () => new ApiError(404, "Not Found");

/**
 * Recognised by name, not instanceof: Next.js bundles instrumentation and route handlers separately, so the shared
 * server context (made at start-up) throws errors built from another copy of this class.
 */
function isApiError(error: unknown): error is ApiError {
  return (
    error instanceof Error && error.name === "ApiError" && typeof (error as ApiError).status === "number"
  );
}

/**
 * Requests whose body this app read to the end. Any other request with a body that is refused still has bytes on
 * the way (maybe slowly, maybe hundreds of MB): its connection is closed after the answer instead of Node reading
 * and discarding the rest to keep the connection alive.
 */
export const bodiesReadToEnd = new WeakSet<Request>();

export function errorResponse(error: unknown, request?: Request): Response {
  if (isApiError(error)) {
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    const allow = (error as { allow?: string }).allow;
    const headers: Record<string, string> = { ...(error.headers ?? {}) };
    if (retryAfter) headers["Retry-After"] = String(retryAfter);
    if (allow) headers.Allow = allow;
    const unreadBody = request?.body && !bodiesReadToEnd.has(request);
    if (error.status === 408 || error.status === 413 || unreadBody) headers.Connection = "close";
    return Response.json({ message: error.message }, { status: error.status, headers });
  }
  // A full disk is the server's condition, not a fault in the request: a 507 the client can retry later.
  if (isStorageFull(error)) return Response.json({ message: STORAGE_FULL_MESSAGE }, { status: 507 });
  // PostgreSQL, Redis or the bucket not answering: another instance (or a retry) may do better than this one now.
  if (isServiceUnreachable(error)) {
    return Response.json(
      { message: "A service this server depends on is not answering; try again shortly" },
      { status: 503, headers: { "Retry-After": "5" } },
    );
  }
  return Response.json({ message: "Internal server error" }, { status: 500 });
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "EAI_AGAIN"]);
const UNREACHABLE_MESSAGES =
  /Connection is closed|Stream isn't writeable|enableOfflineQueue|Connection terminated|timeout exceeded when trying to connect/;

function isServiceUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
  if (UNREACHABLE_MESSAGES.test(error.message)) return true;
  return error instanceof AggregateError && error.errors.some(isServiceUnreachable);
}

/** A request id from a proxy in front is kept (so its logs and ours line up) when it looks like one. */
const INCOMING_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The route a path belongs to, for logs: ids become `{id}` (so lines group by endpoint, and a capability id never
 * lands in a log), as do crop file names.
 */
export function routeOf(pathname: string): string {
  const segments = pathname.split("/");
  return segments
    .map((segment, i) => {
      if (ID_PATTERN.test(segment)) return "{id}";
      if (segments[1] === "api-assets" && i === 3) return "{file}";
      return segment;
    })
    .join("/");
}

/**
 * A client that hangs up mid-request (an aborted upload) is not a server fault: Next.js aborts the request's
 * signal, and reading the body then fails with a reset or abort error.
 */
function clientGone(request: Request | undefined, error: unknown): boolean {
  if (request?.signal?.aborted) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === "ECONNRESET" ||
    code === "ERR_STREAM_PREMATURE_CLOSE" ||
    (error instanceof Error && (error.name === "AbortError" || error.message === "aborted"))
  );
}

/**
 * Wrap a route handler: every failure becomes a JSON error response, every response carries an `X-Request-Id`, and
 * every request is logged as one JSON line (method, route, status, duration, request id; never the query string,
 * which holds upload signatures, nor any header).
 */
export function handle<Args extends unknown[]>(
  handler: (...args: Args) => Promise<Response>,
): (...args: Args) => Promise<Response> {
  return async (...args) => {
    const started = performance.now();
    const request = args[0] instanceof Request ? args[0] : undefined;
    const incoming = request?.headers.get("x-request-id") ?? "";
    const requestId = INCOMING_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    let response: Response;
    let level: LogLevel = "info";
    let extra: Record<string, unknown> = {};
    try {
      response = await handler(...args);
    } catch (error) {
      response = errorResponse(error, request);
      if (!isApiError(error)) {
        if (clientGone(request, error)) {
          extra = { aborted: true };
        } else {
          level = "error";
          extra = errorFields(error);
        }
      }
    }
    response = withHeader(response, "X-Request-Id", requestId);
    const pathname = request ? new URL(request.url).pathname : "";
    const route = routeOf(pathname);
    observeHttpRequest(
      route,
      request?.method ?? "GET",
      extra.aborted ? 499 : response.status,
      (performance.now() - started) / 1000,
    );
    log(level, "request", {
      request_id: requestId,
      method: request?.method,
      route,
      // Nginx's "client closed request": the client never saw an answer.
      status: extra.aborted ? 499 : response.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      ...extra,
    });
    return response;
  };
}

function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    // A response with immutable headers (one passed on from fetch): copy it.
    const copy = new Response(response.body, response);
    copy.headers.set(name, value);
    return copy;
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type RouteHandler = (request: Request) => Promise<Response>;

class MethodNotAllowed extends ApiError {
  constructor(readonly allow: string) {
    super(405, `Method not allowed: use ${allow.replace(/, HEAD|, OPTIONS/g, "")}`);
  }
}

/**
 * Handlers for the methods a route doesn't serve: 405 with a JSON message and an `Allow` header, where Next.js
 * would answer with an empty body; and OPTIONS, which Next.js would answer listing every exported method, these
 * included. Use: `export const { GET, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["POST"]);`.
 */
export function methodNotAllowed(allowed: readonly Method[]): Record<Method | "OPTIONS", RouteHandler> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const reject = handle(async () => {
    throw new MethodNotAllowed(allow);
  });
  const options = handle(async () => new Response(null, { status: 204, headers: { Allow: allow } }));
  return { ...everyMethod(reject), OPTIONS: options };
}

/** Handlers for a path no route serves (under /v1): 404 with Magic Hour's JSON body, whatever the method. */
export function unknownPath(): Record<Method, RouteHandler> {
  const reject = handle(async () => {
    throw notFound();
  });
  return everyMethod(reject);
}

function everyMethod(handler: RouteHandler): Record<Method, RouteHandler> {
  return { GET: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler };
}
