"use client";

import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { type DetectionView, facesAtConfidence, isTerminal } from "@/lib/api/detection-view";
import { parseConfidence } from "@/lib/api/face-names";
import { detectionQuery } from "@/lib/client/detections";
import { myResults } from "@/lib/client/my-results";
import { ConfidenceSlider } from "./confidence-slider";
import { DeleteButton } from "./delete-button";
import { DeveloperPanel } from "./developer-panel";
import { DownloadMenu } from "./download-menu";
import { FaceGallery, galleryItems } from "./face-gallery";
import { GoneNotice } from "./gone-notice";
import { PhotoWithBoxes } from "./photo-with-boxes";
import { RerunNotice } from "./rerun-notice";
import { SharePanel } from "./share-panel";
import { VideoResult } from "./video-result";

const STATUS_TEXT = {
  queued: "Waiting to start…",
  rendering: "Finding faces…",
  complete: "Done",
  error: "Failed",
} as const;

const noToken = () => null;

/**
 * A detection, live: polls until it finishes, then shows the photo with its faces framed and the gallery. The
 * slider filters the faces already found (every candidate comes with its score), so moving it never re-runs
 * detection; its value lives in the URL, so a shared link shows what the sharer saw.
 */
export function ResultView({
  initial,
  retentionDays,
  candidateFloor,
}: {
  initial: DetectionView;
  retentionDays: number;
  /** The lowest score the local engine keeps (its configuration, from the page): the slider shows nothing below. */
  candidateFloor: number;
}) {
  const { data, isError, refetch, isFetching } = useQuery(detectionQuery(initial.id, initial));
  const view = data ?? initial;
  const searchParams = useSearchParams();
  // Magic Hour reports no scores: its threshold applies when a detection runs, not afterwards.
  const scored = view.provider === "local";
  const floor = scored ? candidateFloor : 0;
  const [confidence, setConfidenceState] = useState(() =>
    Math.max(floor, parseConfidence(searchParams.get("confidence"), view.confidence)),
  );
  const [highlighted, setHighlighted] = useState<number | null>(null);
  const [opened, setOpened] = useState<number | null>(null);
  const [showWeaker, setShowWeaker] = useState(false);
  const [deleted, setDeleted] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const deleteToken = useSyncExternalStore(
    myResults.subscribe,
    () => myResults.get(view.id)?.deleteToken ?? null,
    noToken,
  );

  const setConfidence = (value: number) => {
    setConfidenceState(value);
    const url = new URL(window.location.href);
    url.searchParams.set("confidence", value.toFixed(2));
    // History API, not router.replace: the URL changes without asking the server for anything.
    window.history.replaceState(null, "", url);
  };

  const faces = useMemo(() => facesAtConfidence(view.faces, confidence), [view.faces, confidence]);
  const weaker = useMemo(
    () =>
      scored
        ? facesAtConfidence(view.faces, 0).filter((face) => face.score !== null && face.score < confidence)
        : [],
    [view.faces, confidence, scored],
  );
  const items = useMemo(() => galleryItems(faces, showWeaker ? weaker : []), [faces, weaker, showWeaker]);
  const done = view.status === "complete";
  const terminal = isTerminal(view.status);
  const isVideo = view.kind === "video";
  const foundAtUpload = facesAtConfidence(view.faces, view.confidence).length;

  // When the result is ready, focus moves to its heading, so a screen reader announces it and Tab starts there.
  useEffect(() => {
    if (terminal) heading.current?.focus();
  }, [terminal]);

  // After a delete the buttons are gone: focus goes to the heading that says so.
  useEffect(() => {
    if (deleted) document.getElementById("gone-heading")?.focus();
  }, [deleted]);

  useEffect(() => {
    if (done) myResults.update(view.id, { faces: foundAtUpload, kind: view.kind });
  }, [done, view.id, view.kind, foundAtUpload]);

  if (deleted) {
    return <GoneNotice heading="Deleted" text="This result, its photo and its faces are deleted." />;
  }

  const title = view.expired
    ? "Expired"
    : done
      ? isVideo
        ? `${faces.length} ${faces.length === 1 ? "person" : "people"} found`
        : `${faces.length} face${faces.length === 1 ? "" : "s"} found`
      : `${STATUS_TEXT[view.status]}${isVideo && view.progress ? ` ${Math.round(view.progress * 100)}%` : ""}`;
  const expiresAt = new Date(Date.parse(view.createdAt) + retentionDays * 86_400_000).toISOString();
  const hasBoxes = view.faces.some((face) => face.box !== null);

  return (
    <div className="flex flex-col gap-4 sm:gap-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1
          ref={heading}
          tabIndex={-1}
          className="font-semibold text-2xl tracking-tight outline-none"
          aria-live="polite"
        >
          {title}
        </h1>
        {done && !view.expired && (
          <div className="flex flex-wrap items-center gap-2">
            <SharePanel expiresAt={expiresAt} />
            <DownloadMenu
              id={view.id}
              confidence={confidence}
              hasFaces={faces.length > 0}
              photoExports={!isVideo && hasBoxes && faces.length > 0}
            />
            {deleteToken && <DeleteButton id={view.id} token={deleteToken} onDeleted={onDeleted} />}
          </div>
        )}
        {view.status === "error" && deleteToken && (
          <DeleteButton id={view.id} token={deleteToken} onDeleted={onDeleted} />
        )}
      </div>

      {!terminal && (
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
          <a href="/" className="mt-4 inline-block rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white">
            Find faces in a new photo
          </a>
        </div>
      ) : view.status === "error" ? (
        <div role="alert" className="rounded-2xl bg-red-50 px-6 py-8 text-center dark:bg-red-950/40">
          <p className="font-medium text-lg text-red-900 dark:text-red-100">
            This {isVideo ? "video" : "photo"} could not be analysed.
          </p>
          <p className="mt-2 text-red-800 dark:text-red-200">{view.error}</p>
          <a href="/" className="mt-4 inline-block rounded-lg bg-red-700 px-4 py-2 font-medium text-white">
            Try another photo
          </a>
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
            weaker={showWeaker ? weaker : []}
            highlighted={highlighted}
            onHighlight={setHighlighted}
            onOpen={setOpened}
          />
          <div className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2">
            <ConfidenceSlider value={confidence} min={floor} onChange={setConfidence} />
            {scored && weaker.length > 0 && (
              <label className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={showWeaker}
                  onChange={(event) => setShowWeaker(event.target.checked)}
                  className="accent-indigo-600"
                />
                Show {weaker.length} less certain {weaker.length === 1 ? "candidate" : "candidates"}, greyed
              </label>
            )}
          </div>
          {!scored && done && <RerunNotice id={view.id} confidence={confidence} ranAt={view.confidence} />}
          <section aria-labelledby="faces-heading" className="min-h-40">
            <h2 id="faces-heading" className="sr-only">
              Faces
            </h2>
            {done && items.length === 0 ? (
              <div className="rounded-2xl border border-neutral-200 border-dashed px-6 py-10 text-center dark:border-neutral-800">
                {foundAtUpload === 0 ? (
                  <>
                    <p className="font-medium">No faces found in this photo</p>
                    <p className="mt-1 text-neutral-600 text-sm dark:text-neutral-400">
                      Try a photo where faces are visible and at least about 30 pixels tall.
                    </p>
                  </>
                ) : (
                  <>
                    <p className="font-medium">No face is this certain</p>
                    <p className="mt-1 text-neutral-600 text-sm dark:text-neutral-400">
                      At {view.confidence.toFixed(2)} this photo has {foundAtUpload} face
                      {foundAtUpload === 1 ? "" : "s"}: move the slider down to see{" "}
                      {foundAtUpload === 1 ? "it" : "them"}.
                    </p>
                  </>
                )}
              </div>
            ) : (
              <FaceGallery
                items={items}
                highlighted={highlighted}
                onHighlight={setHighlighted}
                opened={opened}
                onOpen={setOpened}
              />
            )}
          </section>
        </>
      )}
      {done && !view.expired && <DeveloperPanel view={view} confidence={confidence} />}
    </div>
  );

  function onDeleted() {
    myResults.remove(view.id);
    setDeleted(true);
  }
}
