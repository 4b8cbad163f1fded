import "server-only";
import { RemoteFileError } from "./remote-file-error";

const MAX_URL_LENGTH = 2048;

export interface RemoteUrl {
  url: URL;
  /** Lowercased extension of the URL's last path segment, one of the allowed ones. */
  extension: string;
}

/**
 * Parse and check one URL: the caller's, or (with `base`) a redirect target resolved against the URL that
 * redirected. Only http(s), no credentials, and a path ending in one of `allowedExtensions` (lowercase, no dot).
 */
export function parseRemoteUrl(
  raw: string,
  base: URL | undefined,
  allowedExtensions: readonly string[],
): RemoteUrl {
  const prefix = base ? `The server at ${base.hostname} redirected to a URL that is not allowed: ` : "";
  const invalid = (reason: string) => new RemoteFileError("invalid_url", `${prefix}${reason}`);

  if (raw.length > MAX_URL_LENGTH) throw invalid(`the URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw invalid("the URL is not valid.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid("only http and https URLs are supported.");
  }
  // Credentials in a URL are never needed for a public file and would only end up in logs.
  if (url.username !== "" || url.password !== "") {
    throw invalid("URLs with a user name or password are not accepted.");
  }

  const extension = extensionOf(url);
  if (extension === null || !allowedExtensions.includes(extension)) {
    throw invalid(`the URL path must end in a file extension, one of: ${allowedExtensions.join(", ")}.`);
  }
  return { url, extension };
}

/** The lowercased extension of the last path segment ("/a/Photo.JPG" → "jpg"), or null when there is none. */
function extensionOf(url: URL): string | null {
  const lastSegment = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  const match = /\.([A-Za-z0-9]+)$/.exec(lastSegment);
  return match?.[1]?.toLowerCase() ?? null;
}

/** URL.hostname keeps the brackets of an IPv6 literal ("[::1]"); sockets and DNS want it bare. */
export function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}
