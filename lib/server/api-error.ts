/**
 * The one error type route handlers throw. Its message is shown to the client as Magic Hour's `{ "message": ... }`;
 * anything else thrown is an internal error: logged, and answered with a generic message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503,
    message: string,
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

export function errorResponse(error: unknown): Response {
  if (isApiError(error)) {
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    const headers: Record<string, string> = retryAfter ? { "Retry-After": String(retryAfter) } : {};
    // A body refused part-way is still arriving: the connection can't carry another request after this answer.
    if (error.status === 413) headers.Connection = "close";
    return Response.json({ message: error.message }, { status: error.status, headers });
  }
  console.error("[api] unexpected error:", error);
  return Response.json({ message: "Internal server error" }, { status: 500 });
}

/** Wrap a route handler so that every failure becomes a JSON error response. */
export function handle<Args extends unknown[]>(
  handler: (...args: Args) => Promise<Response>,
): (...args: Args) => Promise<Response> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      return errorResponse(error);
    }
  };
}
