"use client";

import { useRef, useState } from "react";
import type { FaceView } from "@/lib/api/detection-view";

/** The face crops in a grid; hovering or focusing one frames it on the photo, clicking enlarges it. */
export function FaceGallery({
  faces,
  highlighted,
  onHighlight,
}: {
  faces: FaceView[];
  highlighted: number | null;
  onHighlight: (index: number | null) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [enlarged, setEnlarged] = useState<{ face: FaceView; position: number } | null>(null);

  const enlarge = (face: FaceView, position: number) => {
    setEnlarged({ face, position });
    dialog.current?.showModal();
  };

  return (
    <>
      <ul className="grid grid-cols-[repeat(auto-fill,minmax(6.5rem,1fr))] gap-3">
        {faces.map((face, position) => (
          <li key={face.index}>
            <button
              type="button"
              onClick={() => enlarge(face, position)}
              onMouseEnter={() => onHighlight(face.index)}
              onMouseLeave={() => onHighlight(null)}
              onFocus={() => onHighlight(face.index)}
              onBlur={() => onHighlight(null)}
              className={`block w-full overflow-hidden rounded-xl ring-2 transition focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2 ${
                highlighted === face.index ? "ring-yellow-400" : "ring-transparent"
              }`}
            >
              {/* biome-ignore lint/performance/noImgElement: crops are already small PNGs */}
              <img
                src={face.url}
                alt={
                  face.score === null
                    ? `Face ${position + 1}`
                    : `Face ${position + 1}, confidence ${face.score.toFixed(2)}`
                }
                width={160}
                height={160}
                loading="lazy"
                className="aspect-square w-full bg-neutral-100 object-cover dark:bg-neutral-900"
              />
            </button>
            {face.score !== null && (
              <p className="mt-1 text-center text-neutral-600 text-xs tabular-nums dark:text-neutral-400">
                {Math.round(face.score * 100)}%
              </p>
            )}
          </li>
        ))}
      </ul>
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: a click on the backdrop closes it; Escape and the Close button do so from the keyboard */}
      <dialog
        ref={dialog}
        aria-label={enlarged ? `Face ${enlarged.position + 1}` : "Face"}
        onClose={() => setEnlarged(null)}
        onClick={(event) => event.target === dialog.current && dialog.current?.close()}
        className="m-auto max-w-[min(32rem,92vw)] rounded-2xl bg-white p-4 text-neutral-900 backdrop:bg-black/70 dark:bg-neutral-900 dark:text-neutral-100"
      >
        {enlarged && (
          <div className="flex flex-col gap-3">
            {/* biome-ignore lint/performance/noImgElement: the crop itself, at full size */}
            <img
              src={enlarged.face.url}
              alt={`Face ${enlarged.position + 1}, enlarged`}
              width={512}
              height={512}
              className="aspect-square w-full rounded-xl object-cover"
            />
            <div className="flex items-center justify-between gap-3">
              <span className="text-sm tabular-nums">
                {enlarged.face.score === null ? "" : `Confidence ${Math.round(enlarged.face.score * 100)}%`}
              </span>
              <div className="flex gap-2">
                <a
                  href={enlarged.face.url}
                  download={`face-${enlarged.position + 1}.png`}
                  className="rounded-lg bg-indigo-600 px-3 py-1.5 font-medium text-sm text-white hover:bg-indigo-700"
                >
                  Download
                </a>
                <button
                  type="button"
                  onClick={() => dialog.current?.close()}
                  className="rounded-lg px-3 py-1.5 text-sm ring-1 ring-neutral-300 dark:ring-neutral-700"
                >
                  Close
                </button>
              </div>
            </div>
          </div>
        )}
      </dialog>
    </>
  );
}
