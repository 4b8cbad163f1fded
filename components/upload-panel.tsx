"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import { type FileRejection, useDropzone } from "react-dropzone";
import { ACCEPTED_IMAGE_TYPES, ACCEPTED_VIDEO_TYPES, MAX_UPLOAD_MB } from "@/lib/api/upload-limits";
import { type UploadProgress, uploadForDetection } from "@/lib/client/upload";

const SAMPLES = [
  { src: "/samples/party.jpg", label: "Three friends at a party" },
  { src: "/samples/friends.jpg", label: "Four friends posing" },
  { src: "/samples/stairs.jpg", label: "Five friends on stairs" },
];

const ACCEPTED = { ...ACCEPTED_IMAGE_TYPES, ...ACCEPTED_VIDEO_TYPES };
const EXTENSIONS = Object.values(ACCEPTED)
  .flat()
  .map((ext) => ext.slice(1).toUpperCase());

function explainRejection(rejection: FileRejection): string {
  const code = rejection.errors[0]?.code;
  if (code === "file-too-large") return `“${rejection.file.name}” is larger than ${MAX_UPLOAD_MB} MB.`;
  if (code === "file-invalid-type") {
    return `“${rejection.file.name}” isn't a photo or video this app can read. Try a ${EXTENSIONS.slice(0, -1).join(", ")} or ${EXTENSIONS.at(-1)} file.`;
  }
  return rejection.errors[0]?.message ?? "That file can't be used.";
}

/** Drop, browse, paste or pick a sample; the file is sent with real progress and the result page takes over. */
export function UploadPanel() {
  const router = useRouter();
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const busy = progress !== null;

  const send = useCallback(
    async (file: Blob) => {
      setError(null);
      setProgress({ loaded: 0, total: file.size });
      try {
        const { id } = await uploadForDetection(file, 0.5, setProgress);
        router.push(`/results/${id}`);
      } catch (cause) {
        setProgress(null);
        setError(cause instanceof Error ? cause.message : "The upload failed.");
      }
    },
    [router],
  );

  const { getRootProps, getInputProps, isDragActive, open } = useDropzone({
    accept: ACCEPTED,
    maxSize: MAX_UPLOAD_MB * 1024 * 1024,
    multiple: false,
    noClick: true,
    disabled: busy,
    onDropAccepted: ([file]) => file && send(file),
    onDropRejected: ([rejection]) => rejection && setError(explainRejection(rejection)),
  });

  // Paste a copied image anywhere on the page.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
      if (file && !busy) send(file);
    };
    window.addEventListener("paste", onPaste);
    return () => window.removeEventListener("paste", onPaste);
  }, [busy, send]);

  const sendSample = async (src: string) => {
    setError(null);
    const response = await fetch(src);
    send(await response.blob());
  };

  const percent = progress && progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0;

  return (
    <section aria-label="Choose a photo" className="w-full">
      <div
        {...getRootProps({
          className: `flex min-h-64 flex-col items-center justify-center gap-4 rounded-2xl border-2 border-dashed p-8 text-center transition-colors ${
            isDragActive
              ? "border-indigo-500 bg-indigo-50 dark:bg-indigo-950/40"
              : "border-neutral-300 bg-neutral-50 dark:border-neutral-700 dark:bg-neutral-900"
          }`,
        })}
      >
        <input {...getInputProps({ "aria-label": "Photo file" })} />
        {busy ? (
          <div className="w-full max-w-sm" aria-live="polite">
            <p className="mb-2 font-medium">Uploading… {percent}%</p>
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
        ) : (
          <>
            <p className="font-medium text-lg">
              {isDragActive ? "Drop the photo here" : "Drop a photo here"}
            </p>
            <button
              type="button"
              onClick={open}
              className="rounded-lg bg-indigo-600 px-5 py-2.5 font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2"
            >
              Choose a photo
            </button>
            <p className="text-neutral-600 text-sm dark:text-neutral-400">
              or paste one. {EXTENSIONS.join(", ")} · up to {MAX_UPLOAD_MB} MB
            </p>
          </>
        )}
      </div>
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
                onClick={() => sendSample(sample.src)}
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
