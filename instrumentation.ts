/**
 * Runs once when the Next.js server starts: open the database and resume the tasks that were queued or running
 * when the server last stopped, without waiting for the first request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { serverContext } = await import("./lib/server/context");
    serverContext();
  }
}
