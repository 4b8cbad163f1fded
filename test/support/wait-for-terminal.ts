import { isTerminal, TaskStatus } from "../../lib/api/detection-view";

/** Anything with a task status: the app's detection view, the `/v1` task, the Magic Hour SDK's task. */
type WithStatus = { status: string };

export interface TerminalWait<T> {
  /** Headers for each GET (the `/v1` bearer token); only when polling a URL. */
  headers?: HeadersInit;
  /** The fetch to poll with, e.g. one that also checks each answer against the OpenAPI document. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** How long the task may take before the wait fails, so a task that never ends fails its test with its id. */
  deadlineMs?: number;
  /** Pause between polls. */
  everyMs?: number;
  /** Sees every answer, terminal or not (progress values seen while rendering). */
  onView?: (view: T) => void;
}

/**
 * Polls a task until its status is terminal (`isTerminal`, the same rule the UI's polling stops on) and returns the
 * last answer. `source` is a URL to GET (any non-2xx answer fails at once, with its body) or a function that reads the
 * task (an SDK's `get`). A status outside the closed union fails at once too, rather than polling until the deadline.
 */
export async function waitForTerminal<T extends WithStatus>(
  source: string | (() => Promise<T>),
  { headers, fetch: fetcher = fetch, deadlineMs = 120_000, everyMs = 100, onView }: TerminalWait<T> = {},
): Promise<T> {
  const read =
    typeof source === "string"
      ? async () => {
          const response = await fetcher(source, { headers });
          if (!response.ok)
            throw new Error(`GET ${source} answered ${response.status}: ${await response.text()}`);
          return (await response.json()) as T;
        }
      : source;
  const what = typeof source === "string" ? source : "the task";
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const view = await read();
    onView?.(view);
    const status = TaskStatus.safeParse(view.status);
    if (!status.success)
      throw new Error(`${what} has status ${JSON.stringify(view.status)}, not a task status`);
    if (isTerminal(status.data)) return view;
    if (Date.now() > deadline) throw new Error(`${what} is still ${view.status} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
