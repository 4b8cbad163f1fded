export interface UploadProgress {
  loaded: number;
  total: number;
}

export class UploadCancelled extends Error {
  constructor() {
    super("Upload cancelled");
    this.name = "UploadCancelled";
  }
}

/**
 * Send a file to the server with XMLHttpRequest: fetch() can't report upload progress, and the bar must show real
 * bytes sent. No threshold is sent: the server's default applies, so that default is stated in one place. Resolves
 * with the new detection's id and the token that lets this browser delete it; rejects with the server's message, or
 * with UploadCancelled when `signal` aborts.
 */
export function uploadForDetection(
  file: Blob,
  onProgress: (progress: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<{ id: string; deleteToken: string | null }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/detections");
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.upload.onprogress = (event) =>
      onProgress({ loaded: event.loaded, total: event.total || file.size });
    request.onload = () => {
      let body: { id?: string; deleteToken?: string; message?: string } = {};
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // fall through to the status message
      }
      if (request.status === 200 && body.id) resolve({ id: body.id, deleteToken: body.deleteToken ?? null });
      else reject(new Error(body.message ?? `Upload failed (${request.status})`));
    };
    request.onerror = () => reject(new Error("Network error: the upload did not reach the server"));
    request.onabort = () => reject(new UploadCancelled());
    signal?.addEventListener("abort", () => request.abort(), { once: true });
    request.send(file);
  });
}

/** DELETE a result with the token its upload returned. */
export async function deleteResult(id: string, token: string): Promise<void> {
  const response = await fetch(`/api/detections/${id}`, {
    method: "DELETE",
    headers: { "X-Delete-Token": token },
  });
  if (response.ok || response.status === 404) return;
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  throw new Error(body.message ?? `Delete failed (${response.status})`);
}
