"use client";

import { useRef, useState } from "react";
import type { DetectionView, FaceView } from "@/lib/api/detection-view";

const clock = (seconds: number) => {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

/**
 * A video's people: the video, a timeline with the chosen person's appearances marked, and one picture per
 * person; choosing a person jumps the video to their first appearance.
 */
export function VideoResult({ view, people }: { view: DetectionView; people: FaceView[] }) {
  const video = useRef<HTMLVideoElement>(null);
  const [chosen, setChosen] = useState<number | null>(null);
  const duration = view.duration ?? 0;
  const selected = people.find((p) => p.index === chosen) ?? null;

  const choose = (person: FaceView) => {
    setChosen(person.index);
    const first = person.appearances[0];
    if (video.current && first) {
      video.current.currentTime = first.start;
      void video.current.play().catch(() => undefined);
    }
  };

  return (
    <div className="flex flex-col gap-4">
      <div className="flex h-[50vh] min-h-56 items-center justify-center overflow-hidden rounded-2xl bg-black">
        {view.videoUrl && (
          // biome-ignore lint/a11y/useMediaCaption: user-uploaded footage comes without captions
          <video
            ref={video}
            src={view.videoUrl}
            poster={view.previewUrl ?? undefined}
            controls
            preload="metadata"
            className="max-h-full max-w-full"
            aria-label="The analysed video"
          />
        )}
      </div>
      {duration > 0 && (
        <section aria-label={selected ? `Where person ${people.indexOf(selected) + 1} appears` : "Timeline"}>
          <div className="relative h-3 rounded-full bg-neutral-200 dark:bg-neutral-800">
            {(selected ? [selected] : people).flatMap((person) =>
              person.appearances.map((a) => (
                <span
                  key={`${person.index}-${a.start}`}
                  className={`absolute top-0 h-3 rounded-full ${selected ? "bg-yellow-400" : "bg-indigo-500/40"}`}
                  style={{
                    left: `${(a.start / duration) * 100}%`,
                    width: `${((a.end - a.start) / duration) * 100}%`,
                  }}
                />
              )),
            )}
          </div>
          <div className="mt-1 flex justify-between text-neutral-500 text-xs tabular-nums">
            <span>0:00</span>
            <span>{clock(duration)}</span>
          </div>
        </section>
      )}
      <ul className="grid grid-cols-[repeat(auto-fill,minmax(7.5rem,1fr))] gap-3">
        {people.map((person, position) => (
          <li key={person.index}>
            <button
              type="button"
              onClick={() => choose(person)}
              aria-pressed={chosen === person.index}
              className={`block w-full overflow-hidden rounded-xl text-left ring-2 transition focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2 ${
                chosen === person.index ? "ring-yellow-400" : "ring-transparent"
              }`}
            >
              {/* biome-ignore lint/performance/noImgElement: crops are already small PNGs */}
              <img
                src={person.url}
                alt={`Person ${position + 1}`}
                width={160}
                height={160}
                className="aspect-square w-full bg-neutral-100 object-cover dark:bg-neutral-900"
              />
              <span className="block px-1 py-1 text-neutral-600 text-xs tabular-nums dark:text-neutral-400">
                {person.appearances.map((a) => `${clock(a.start)}–${clock(a.end)}`).join(", ")}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
