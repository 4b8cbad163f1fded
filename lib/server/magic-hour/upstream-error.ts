import "server-only";

/** What went wrong upstream, in the terms a user can act on. Messages never include the token or raw responses. */
export type UpstreamProblem =
  | "bad_token"
  | "out_of_credits"
  | "unsupported_file"
  | "busy"
  | "unavailable"
  | "failed";

const MESSAGES: Record<UpstreamProblem, string> = {
  bad_token:
    "Magic Hour rejected this server's API token. The site's operator needs to check MAGIC_HOUR_API_TOKEN.",
  out_of_credits: "The Magic Hour account behind this site is out of credits.",
  unsupported_file: "Magic Hour could not process this file.",
  busy: "Magic Hour is busy right now. Please try again in a minute.",
  unavailable: "Magic Hour can't be reached right now. Please try again later.",
  failed: "Magic Hour could not detect faces in this file.",
};

export class UpstreamError extends Error {
  constructor(
    readonly problem: UpstreamProblem,
    /** For the server log only: what happened, without secrets. */
    readonly detail: string,
    /** From a 429's Retry-After header, when the upstream sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(MESSAGES[problem]);
    this.name = "UpstreamError";
  }
}

export function problemOfStatus(status: number): UpstreamProblem {
  if (status === 401 || status === 403) return "bad_token";
  if (status === 402) return "out_of_credits";
  if (status === 400 || status === 404 || status === 415 || status === 422) return "unsupported_file";
  if (status === 429) return "busy";
  return "unavailable";
}

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
