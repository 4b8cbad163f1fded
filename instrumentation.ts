/**
 * Runs once when the Next.js server starts: hook the HTTP server (the client's socket address, malformed URLs),
 * open the database (or the shared services) and resume the tasks that were queued or running when the server last
 * stopped, without waiting for the first request. A configuration that is refused (a partial scale-out set, a
 * service that can't be reached) stops the server here, with the reason, before it takes a request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { installHttpHooks } = await import("./lib/server/http-hooks");
    installHttpHooks();
    const { serverContext } = await import("./lib/server/context");
    try {
      await serverContext();
    } catch (error) {
      const { errorFields, log } = await import("./lib/server/log");
      log("error", "server did not start", errorFields(error));
      process.exit(1);
    }
  }
}
