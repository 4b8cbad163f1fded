/**
 * Runs once when the Next.js server starts: hook the HTTP server (the client's socket address, malformed URLs),
 * open the database and resume the tasks that were queued or running when the server last stopped, without waiting
 * for the first request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { installHttpHooks } = await import("./lib/server/http-hooks");
    installHttpHooks();
    const { serverContext } = await import("./lib/server/context");
    serverContext();
  }
}
