import "server-only";

/**
 * HTTP latency for the web process's `/metrics`. Routes are bundled apart by Next, each with its own copy of a
 * module, so the process's one observer is reached through globalThis (set when the server context is made), and
 * `handle()` reports every answer to it without importing the metrics registry itself.
 */
type Observe = (route: string, method: string, status: number, seconds: number) => void;

const holder = globalThis as typeof globalThis & { __faceFinderHttpObserver?: Observe };

export function observeHttpWith(metrics: { observeHttp: Observe }): void {
  holder.__faceFinderHttpObserver = (route, method, status, seconds) =>
    metrics.observeHttp(route, method, status, seconds);
}

export function observeHttpRequest(route: string, method: string, status: number, seconds: number): void {
  holder.__faceFinderHttpObserver?.(route, method, status, seconds);
}
