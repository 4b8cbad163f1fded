import "server-only";
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { PEER_HEADER } from "./client-address";

/**
 * Hooks on Node's HTTP server, which `next start` owns and doesn't expose: Node publishes every request on the
 * `http.server.request.start` diagnostics channel before Next sees it, and what is changed here is what Next (and
 * so every route) gets.
 */
export function installHttpHooks(): void {
  const flag = globalThis as typeof globalThis & { __faceFinderHttpHooks?: boolean };
  if (flag.__faceFinderHttpHooks) return;
  flag.__faceFinderHttpHooks = true;
  subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    // The socket's address, overwriting anything a client sent under the same name: routes can't see the socket.
    request.headers[PEER_HEADER] = socket.remoteAddress ?? "";
    request.url = escapeMalformedPercents(request.url ?? "/");
    if (!BODY_METHODS_WELCOME.has(request.method ?? "GET") && !ROUTES_READING_BODIES.test(request.url)) {
      request.url = PAGE_BODY_REFUSAL;
    }
  });
}

const BODY_METHODS_WELCOME = new Set(["GET", "HEAD", "OPTIONS"]);
/** The routes whose handlers read (or refuse) bodies themselves, within the body rules (body-stream.ts). */
const ROUTES_READING_BODIES = /^\/(api|api-assets|v1|uploads|_next)(\/|\?|$)/;
export const PAGE_BODY_REFUSAL = "/api/page-request-refused";

/*
 * Pages take no request bodies (this app has no server actions), but before a page's proxy.ts answers, Next
 * waits for the whole body (it copies it for the proxy): a POST to a page trickling a byte at a time, or hundreds of
 * MB long, held its connection until it ended. Such requests go to a route that refuses them at once, and their
 * connection closes after the answer.
 */

/**
 * Next answers a path with a malformed percent-escape (`/api/detections/%E0%A4%A`) with a bare 500 before any
 * route runs. Escaping the stray `%` signs lets the request reach its route, which answers it like any unknown id.
 */
export function escapeMalformedPercents(url: string): string {
  const queryAt = url.search(/[?#]/);
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    return path.replaceAll("%", "%25") + (queryAt === -1 ? "" : url.slice(queryAt));
  }
}
