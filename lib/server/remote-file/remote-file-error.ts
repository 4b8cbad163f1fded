import "server-only";

export type RemoteFileErrorCode =
  | "invalid_url"
  | "blocked_address"
  | "too_large"
  | "timeout"
  | "http_error"
  | "too_many_redirects"
  | "network"
  | "unsupported_content";

/**
 * A download failure caused by the URL or the remote server. The message is written for the API caller: it names at
 * most the URL's host, never resolved addresses, local paths or low-level errors (those stay in `cause` for logs).
 */
export class RemoteFileError extends Error {
  readonly code: RemoteFileErrorCode;

  constructor(code: RemoteFileErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RemoteFileError";
    this.code = code;
  }
}

export function timeoutError(url: URL): RemoteFileError {
  return new RemoteFileError("timeout", `The download from ${url.hostname} took too long.`);
}

/** Map a low-level failure to a RemoteFileError; an abort carries its own reason (a timeout). */
export function toRemoteError(error: unknown, url: URL, signal: AbortSignal): RemoteFileError {
  if (error instanceof RemoteFileError) return error;
  if (signal.aborted && signal.reason instanceof RemoteFileError) return signal.reason;
  return new RemoteFileError("network", `Could not download the file from ${url.hostname}.`, {
    cause: error,
  });
}
