export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Send a file to the server with XMLHttpRequest: fetch() can't report upload progress, and the bar must show real
 * bytes sent. Resolves with the new detection's id; rejects with the server's message.
 */
export function uploadForDetection(
  file: Blob,
  confidence: number,
  onProgress: (progress: UploadProgress) => void,
): Promise<{ id: string }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/detections?confidence=${confidence}`);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.upload.onprogress = (event) =>
      onProgress({ loaded: event.loaded, total: event.total || file.size });
    request.onload = () => {
      let body: { id?: string; message?: string } = {};
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // fall through to the status message
      }
      if (request.status === 200 && body.id) resolve({ id: body.id });
      else reject(new Error(body.message ?? `Upload failed (${request.status})`));
    };
    request.onerror = () => reject(new Error("Network error: the upload did not reach the server"));
    request.send(file);
  });
}
