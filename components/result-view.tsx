"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { type DetectionView, facesAtConfidence, isTerminal } from "@/lib/api/detection-view";
import { detectionQuery } from "@/lib/client/detections";
import { ConfidenceSlider } from "./confidence-slider";
import { CopyLinkButton } from "./copy-link-button";
import { FaceGallery } from "./face-gallery";
import { PhotoWithBoxes } from "./photo-with-boxes";
import { RerunNotice } from "./rerun-notice";
import { VideoResult } from "./video-result";

const STATUS_TEXT = {
  queued: "Waiting to start…",
  rendering: "Finding faces…",
  complete: "Done",
  error: "Failed",
} as const;

function parseConfidence(raw: string | null, fallback: number): number {
  const value = Number(raw);
  return raw !== null && Number.isFinite(value) && value >= 0 && value <= 1
    ? Math.round(value * 20) / 20
    : fallback;
}

/**
 * A detection, live: polls until it finishes, then shows the photo with its faces framed and the gallery. The
 * slider filters the faces already found (every candidate comes with its score), so moving it never re-runs
 * detection; its value lives in the URL, so a shared link shows what the sharer saw.
 */
export function ResultView({ initial }: { initial: DetectionView }) {
  const { data, isError, refetch, isFetching } = useQuery(detectionQuery(initial.id, initial));
  const view = data ?? initial;
  const searchParams = useSearchParams();
  const confidence = parseConfidence(searchParams.get("confidence"), view.confidence);
  const [highlighted, setHighlighted] = useState<number | null>(null);

  const setConfidence = (value: number) => {
    const url = new URL(window.location.href);
    url.searchParams.set("confidence", value.toFixed(2));
    // History API, not router.replace: the URL changes without asking the server for anything.
    window.history.replaceState(null, "", url);
  };

  const faces = useMemo(() => facesAtConfidence(view.faces, confidence), [view.faces, confidence]);
  // Magic Hour reports no scores: its threshold applies when a detection runs, not afterwards.
  const scored = view.provider === "local";
  const hidden = view.faces.length - faces.length;
  const done = view.status === "complete";
  const isVideo = view.kind === "video";

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="font-semibold text-2xl tracking-tight" aria-live="polite">
          {view.expired
            ? "Expired"
            : done
              ? isVideo
                ? `${faces.length} ${faces.length === 1 ? "person" : "people"} found`
                : `${faces.length} face${faces.length === 1 ? "" : "s"} found`
              : `${STATUS_TEXT[view.status]}${isVideo && view.progress ? ` ${Math.round(view.progress * 100)}%` : ""}`}
        </h1>
        {done && (
          <div className="flex flex-wrap items-center gap-2">
            {faces.length > 0 && view.zipUrl && (
              <a
                href={`${view.zipUrl}?confidence=${confidence}`}
                className="rounded-lg px-3 py-1.5 font-medium text-sm ring-1 ring-neutral-300 hover:bg-neutral-50 dark:ring-neutral-700 dark:hover:bg-neutral-900"
              >
                Download all (ZIP)
              </a>
            )}
            <CopyLinkButton />
          </div>
        )}
      </div>

      {!isTerminal(view.status) && (
        <div
          role="progressbar"
          aria-label="Detection progress"
          aria-valuetext={STATUS_TEXT[view.status]}
          className="h-1.5 overflow-hidden rounded-full bg-neutral-200 dark:bg-neutral-800"
        >
          <div className="h-full w-1/3 animate-[progress_1.2s_ease-in-out_infinite] rounded-full bg-indigo-600" />
        </div>
      )}

      {isError && (
        <div
          role="alert"
          className="flex items-center justify-between gap-3 rounded-lg bg-amber-50 px-4 py-3 text-amber-900 dark:bg-amber-950/50 dark:text-amber-100"
        >
          <span>Can't reach the server right now.</span>
          <button
            type="button"
            onClick={() => refetch()}
            disabled={isFetching}
            className="rounded-lg bg-amber-600 px-3 py-1.5 font-medium text-sm text-white disabled:opacity-60"
          >
            Retry
          </button>
        </div>
      )}

      {view.expired ? (
        <div className="rounded-2xl bg-neutral-100 px-6 py-8 text-center dark:bg-neutral-900">
          <p className="font-medium text-lg">This result has expired.</p>
          <p className="mt-2 text-neutral-600 dark:text-neutral-400">
            Photos, videos and their faces are kept for a limited time, then deleted.
          </p>
          <Link
            href="/"
            className="mt-4 inline-block rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white"
          >
            Find faces in a new photo
          </Link>
        </div>
      ) : view.status === "error" ? (
        <div role="alert" className="rounded-2xl bg-red-50 px-6 py-8 text-center dark:bg-red-950/40">
          <p className="font-medium text-red-900 text-lg dark:text-red-100">
            This photo could not be analysed.
          </p>
          <p className="mt-2 text-red-800 dark:text-red-200">{view.error}</p>
          <Link href="/" className="mt-4 inline-block rounded-lg bg-red-700 px-4 py-2 font-medium text-white">
            Try another photo
          </Link>
        </div>
      ) : isVideo ? (
        <VideoResult view={view} people={faces} />
      ) : (
        <>
          <PhotoWithBoxes
            src={view.previewUrl}
            width={view.width}
            height={view.height}
            faces={faces}
            highlighted={highlighted}
            onHighlight={setHighlighted}
          />
          <div className="flex flex-wrap items-center justify-between gap-3">
            <ConfidenceSlider value={confidence} onChange={setConfidence} />
            {scored && (
              <p className="text-neutral-600 text-sm dark:text-neutral-400">
                Lower it to see less certain faces, raise it to keep only clear ones.
              </p>
            )}
          </div>
          {!scored && done && <RerunNotice id={view.id} confidence={confidence} ranAt={view.confidence} />}
          <section aria-label="Faces" className="min-h-40">
            {done && faces.length === 0 ? (
              <div className="rounded-2xl border border-neutral-200 border-dashed px-6 py-10 text-center dark:border-neutral-800">
                <p className="font-medium">
                  {hidden > 0 ? "No face is this certain" : "No faces in this photo"}
                </p>
                <p className="mt-1 text-neutral-600 text-sm dark:text-neutral-400">
                  {hidden > 0
                    ? `Lower the confidence to see ${hidden} less certain candidate${hidden === 1 ? "" : "s"}.`
                    : "Try a photo where faces are visible and at least about 30 pixels tall."}
                </p>
              </div>
            ) : (
              <FaceGallery faces={faces} highlighted={highlighted} onHighlight={setHighlighted} />
            )}
          </section>
        </>
      )}
    </div>
  );
}
