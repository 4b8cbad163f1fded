"use client";

import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import type { FaceView } from "@/lib/api/detection-view";
import { faceFileName } from "@/lib/api/face-names";

/** A face as the gallery and the enlarged view name it: "Face 3" for shown faces, "Candidate 2" for weaker ones. */
export interface GalleryItem {
  face: FaceView;
  label: string;
  fileName: string;
  weak: boolean;
}

export function galleryItems(faces: FaceView[], weaker: FaceView[]): GalleryItem[] {
  return [
    ...faces.map((face, i) => ({
      face,
      label: `Face ${i + 1}`,
      fileName: faceFileName(i, faces.length),
      weak: false,
    })),
    ...weaker.map((face, i) => ({
      face,
      label: `Candidate ${i + 1}`,
      fileName: `candidate-${String(i + 1).padStart(2, "0")}.png`,
      weak: true,
    })),
  ];
}

const faceDescription = (item: GalleryItem) =>
  item.face.score === null
    ? item.label
    : `${item.label}, score ${Math.round(item.face.score * 100)}%${item.weak ? ", below the threshold" : ""}`;

/**
 * The faces as a list of named buttons: hovering or focusing one frames it on the photo, activating it enlarges it.
 * The enlarged view steps through the faces with its buttons or the arrow keys. `opened` is the face index to
 * enlarge (set by a click on the photo), null when the view is closed.
 */
export function FaceGallery({
  items,
  highlighted,
  onHighlight,
  opened,
  onOpen,
}: {
  items: GalleryItem[];
  highlighted: number | null;
  onHighlight: (index: number | null) => void;
  opened: number | null;
  onOpen: (index: number | null) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const position = opened === null ? -1 : items.findIndex((item) => item.face.index === opened);
  const current = items[position] ?? null;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (current && !element.open) element.showModal();
    if (!current && element.open) element.close();
  }, [current]);

  const step = (by: number) => {
    const next = items[(position + by + items.length) % items.length];
    if (next) onOpen(next.face.index);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "ArrowRight") step(1);
    else if (event.key === "ArrowLeft") step(-1);
    else return;
    event.preventDefault();
  };

  return (
    <>
      <ul aria-label="Faces" className="grid grid-cols-[repeat(auto-fill,minmax(6.25rem,1fr))] gap-3">
        {items.map((item) => (
          <li key={item.face.index}>
            <button
              type="button"
              aria-label={faceDescription(item)}
              onClick={() => onOpen(item.face.index)}
              onMouseEnter={() => onHighlight(item.face.index)}
              onMouseLeave={() => onHighlight(null)}
              onFocus={() => onHighlight(item.face.index)}
              onBlur={() => onHighlight(null)}
              className={`block w-full overflow-hidden rounded-xl ring-2 transition focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2 ${
                highlighted === item.face.index ? "ring-yellow-400" : "ring-transparent"
              }`}
            >
              {/* biome-ignore lint/performance/noImgElement: crops are already small PNGs */}
              <img
                src={item.face.url}
                alt=""
                width={160}
                height={160}
                loading="lazy"
                className={`aspect-square w-full bg-neutral-100 object-cover dark:bg-neutral-900 ${
                  item.weak ? "opacity-50 grayscale" : ""
                }`}
              />
            </button>
            <p className="mt-1 flex justify-between px-0.5 text-neutral-600 text-xs tabular-nums dark:text-neutral-400">
              <span>{item.label}</span>
              {item.face.score !== null && <span>{Math.round(item.face.score * 100)}%</span>}
            </p>
          </li>
        ))}
      </ul>
      <dialog
        ref={dialog}
        aria-label={current ? faceDescription(current) : "Face"}
        onClose={() => onOpen(null)}
        onKeyDown={onKeyDown}
        onClick={(event) => event.target === dialog.current && dialog.current?.close()}
        className="m-auto w-[min(30rem,94vw)] rounded-2xl bg-white p-4 text-neutral-900 backdrop:bg-black/70 dark:bg-neutral-900 dark:text-neutral-100"
      >
        {current && <Enlarged item={current} position={position} total={items.length} onStep={step} />}
        <div className="mt-3 flex items-center justify-between gap-2">
          <div className="flex gap-2">
            <button
              type="button"
              onClick={() => step(-1)}
              aria-label="Previous face"
              className="rounded-lg px-3 py-1.5 text-sm ring-1 ring-neutral-300 dark:ring-neutral-700"
            >
              ← Previous
            </button>
            <button
              type="button"
              onClick={() => step(1)}
              aria-label="Next face"
              className="rounded-lg px-3 py-1.5 text-sm ring-1 ring-neutral-300 dark:ring-neutral-700"
            >
              Next →
            </button>
          </div>
          <div className="flex gap-2">
            {current && (
              <a
                href={current.face.url}
                download={current.fileName}
                className="rounded-lg bg-indigo-600 px-3 py-1.5 font-medium text-sm text-white hover:bg-indigo-700"
              >
                Download
              </a>
            )}
            <button
              type="button"
              onClick={() => dialog.current?.close()}
              className="rounded-lg px-3 py-1.5 text-sm ring-1 ring-neutral-300 dark:ring-neutral-700"
            >
              Close
            </button>
          </div>
        </div>
      </dialog>
    </>
  );
}

/** The crop at up to its own pixel size (never a blurry upscale past 2×), and its source size when that is small. */
function Enlarged({
  item,
  position,
  total,
  onStep,
}: {
  item: GalleryItem;
  position: number;
  total: number;
  onStep: (by: number) => void;
}) {
  const [natural, setNatural] = useState<number | null>(null);
  // Swipe on a phone: a horizontal drag of 40 px steps to the next or previous face.
  const touchX = useRef<number | null>(null);
  return (
    <div
      className="flex flex-col gap-2"
      onTouchStart={(event) => {
        touchX.current = event.touches[0]?.clientX ?? null;
      }}
      onTouchEnd={(event) => {
        const start = touchX.current;
        const end = event.changedTouches[0]?.clientX;
        if (start !== null && end !== undefined && Math.abs(end - start) > 40) onStep(end < start ? 1 : -1);
      }}
    >
      <div className="flex aspect-square w-full items-center justify-center overflow-hidden rounded-xl bg-neutral-100 dark:bg-neutral-950">
        {/* biome-ignore lint/performance/noImgElement: the crop itself */}
        <img
          key={item.face.url}
          src={item.face.url}
          alt={`${item.label}, enlarged`}
          onLoad={(event) => setNatural(event.currentTarget.naturalWidth)}
          className="max-h-full max-w-full object-contain"
          style={natural ? { width: `min(100%, ${natural * 2}px)` } : { width: "100%" }}
        />
      </div>
      <p className="flex justify-between text-sm tabular-nums">
        <span>
          {item.label} · {position + 1} of {total}
        </span>
        <span>
          {item.face.score === null ? "" : `Confidence ${Math.round(item.face.score * 100)}%`}
          {natural !== null && natural < 128 ? ` · ${natural} × ${natural} px in the photo` : ""}
        </span>
      </p>
    </div>
  );
}
