"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { type FileRejection, useDropzone } from "react-dropzone";
import { retentionLabel } from "@/lib/api/retention-label";
import { ACCEPTED_IMAGE_TYPES, ACCEPTED_VIDEO_TYPES } from "@/lib/api/upload-limits";
import { myResults } from "@/lib/client/my-results";
import { UploadCancelled, type UploadProgress, uploadForDetection } from "@/lib/client/upload";

const SAMPLES = [
  { src: "/samples/party.jpg", label: "Three friends at a party" },
  { src: "/samples/friends.jpg", label: "Four friends posing" },
  { src: "/samples/stairs.jpg", label: "Five friends on stairs" },
];

const ACCEPTED = { ...ACCEPTED_IMAGE_TYPES, ...ACCEPTED_VIDEO_TYPES };
const EXTENSIONS = Object.values(ACCEPTED)
  .flat()
  .map((ext) => ext.slice(1).toUpperCase());

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

function explainRejection(rejection: FileRejection, maxUploadBytes: number): string {
  const code = rejection.errors[0]?.code;
  if (code === "file-too-large")
    return `“${rejection.file.name}” is larger than ${megabytes(maxUploadBytes)}.`;
  if (code === "file-invalid-type") {
    return `“${rejection.file.name}” isn't a photo or video this app can read. Try a JPEG, PNG, HEIC or MP4 file.`;
  }
  return rejection.errors[0]?.message ?? "That file can't be used.";
}

/**
 * Drop, click, browse, paste or pick a sample; the file is sent with real progress (and can be cancelled), the
 * browser remembers the result (and its delete token), and the result page takes over. The limits it states come
 * from the server's configuration, through the page.
 */
export function UploadPanel({
  retentionDays,
  maxUploadBytes,
}: {
  retentionDays: number;
  maxUploadBytes: number;
}) {
  const router = useRouter();
  const [upload, setUpload] = useState<{ name: string; progress: UploadProgress } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const busy = upload !== null;

  const send = useCallback(
    async (file: Blob, name: string) => {
      setError(null);
      const controller = new AbortController();
      abort.current = controller;
      setUpload({ name, progress: { loaded: 0, total: file.size } });
      try {
        const { id, deleteToken } = await uploadForDetection(
          file,
          (progress) => setUpload({ name, progress }),
          controller.signal,
        );
        myResults.add({ id, deleteToken, fileName: name });
        router.push(`/results/${id}`);
      } catch (cause) {
        setUpload(null);
        if (!(cause instanceof UploadCancelled)) {
          setError(cause instanceof Error ? cause.message : "The upload failed.");
        }
      }
    },
    [router],
  );

  // A page left mid-upload (reload, back) stops sending instead of leaving the request to be cut off.
  useEffect(() => () => abort.current?.abort(), []);

  const { getRootProps, getInputProps, isDragActive } = useDropzone({
    accept: ACCEPTED,
    maxSize: maxUploadBytes,
    multiple: false,
    disabled: busy,
    onDropAccepted: ([file]) => file && send(file, file.name),
    onDropRejected: ([rejection]) => rejection && setError(explainRejection(rejection, maxUploadBytes)),
  });

  // Paste a copied image anywhere on the page.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
      if (file && !busy) send(file, file.name || "Pasted image");
    };
    window.addEventListener("paste", onPaste);
    return () => window.removeEventListener("paste", onPaste);
  }, [busy, send]);

  const sendSample = async (src: string, label: string) => {
    setError(null);
    const response = await fetch(src);
    send(await response.blob(), label);
  };

  const progress = upload?.progress;
  const percent = progress && progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0;

  return (
    <section aria-label="Choose a photo or video" className="w-full">
      {busy ? (
        <div className="flex min-h-56 flex-col items-center justify-center gap-3 rounded-2xl border-2 border-neutral-300 border-dashed bg-neutral-50 p-6 text-center sm:min-h-64 dark:border-neutral-700 dark:bg-neutral-900">
          <div className="w-full max-w-sm" aria-live="polite">
            <p className="truncate font-medium" title={upload.name}>
              {upload.name}
            </p>
            <p className="mb-2 text-neutral-600 text-sm tabular-nums dark:text-neutral-400">
              Uploading… {percent}% of {megabytes(progress?.total ?? 0)}
            </p>
            <div
              role="progressbar"
              aria-label="Upload progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              className="h-2 overflow-hidden rounded-full bg-neutral-200 dark:bg-neutral-800"
            >
              <div
                className="h-full rounded-full bg-indigo-600 transition-[width]"
                style={{ width: `${percent}%` }}
              />
            </div>
          </div>
          <button
            type="button"
            onClick={() => abort.current?.abort()}
            className="rounded-lg px-4 py-2 font-medium text-sm ring-1 ring-neutral-300 hover:bg-white focus-visible:outline-2 focus-visible:outline-indigo-600 dark:ring-neutral-700 dark:hover:bg-neutral-800"
          >
            Cancel
          </button>
        </div>
      ) : (
        <div
          {...getRootProps({
            className: `flex min-h-56 cursor-pointer flex-col items-center justify-center gap-3 rounded-2xl border-2 border-dashed p-6 text-center transition-colors focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2 sm:min-h-64 ${
              isDragActive
                ? "border-indigo-500 bg-indigo-50 dark:bg-indigo-950/40"
                : "border-neutral-300 bg-neutral-50 hover:border-indigo-400 dark:border-neutral-700 dark:bg-neutral-900"
            }`,
            role: "button",
          })}
        >
          <input {...getInputProps({ "aria-label": "Photo file" })} />
          <p id="drop-label" className="font-medium text-lg">
            {isDragActive ? "Drop it here" : "Drop a photo or video here, or click to choose"}
          </p>
          <span className="rounded-lg bg-indigo-600 px-5 py-2.5 font-medium text-white">Choose a file</span>
          <p className="text-neutral-600 text-sm dark:text-neutral-400">
            or paste a photo · JPEG, PNG, HEIC, MP4 and more · up to {megabytes(maxUploadBytes)}
          </p>
        </div>
      )}
      <details className="mt-2 text-neutral-600 text-sm dark:text-neutral-400">
        <summary className="cursor-pointer">Every format accepted</summary>
        <p className="mt-1">{EXTENSIONS.join(", ")}</p>
      </details>
      <p className="mt-2 text-neutral-600 text-sm dark:text-neutral-400">
        Anyone with a result's link can see it. Results are deleted after {retentionLabel(retentionDays)}, or
        sooner if you delete them.
      </p>
      {error && (
        <p
          role="alert"
          className="mt-3 rounded-lg bg-red-50 px-4 py-3 text-red-800 dark:bg-red-950/50 dark:text-red-200"
        >
          {error}
        </p>
      )}
      <div className="mt-8">
        <h2 className="font-medium text-neutral-700 text-sm dark:text-neutral-300">
          No photo at hand? Try one of these:
        </h2>
        <ul className="mt-3 grid grid-cols-3 gap-3">
          {SAMPLES.map((sample) => (
            <li key={sample.src}>
              <button
                type="button"
                disabled={busy}
                onClick={() => sendSample(sample.src, sample.label)}
                className="group block w-full overflow-hidden rounded-xl ring-1 ring-neutral-200 focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2 disabled:opacity-50 dark:ring-neutral-800"
              >
                {/* biome-ignore lint/performance/noImgElement: small static thumbnails; next/image would add client code */}
                <img
                  src={sample.src}
                  alt={sample.label}
                  width={1280}
                  height={853}
                  className="aspect-[3/2] w-full object-cover transition-transform group-hover:scale-105"
                />
              </button>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
