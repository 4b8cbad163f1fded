"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

/**
 * Magic Hour returns faces without scores, so the slider can't filter them after the fact: its threshold applies
 * when a detection runs. This says so, and re-runs the same photo at the slider's value.
 */
export function RerunNotice({ id, confidence, ranAt }: { id: string; confidence: number; ranAt: number }) {
  const router = useRouter();
  const [state, setState] = useState<"idle" | "sending" | "failed">("idle");
  const rerun = async () => {
    setState("sending");
    const response = await fetch(`/api/detections/${id}/rerun?confidence=${confidence}`, { method: "POST" });
    if (!response.ok) return setState("failed");
    const { id: next } = (await response.json()) as { id: string };
    router.push(`/results/${next}?confidence=${confidence.toFixed(2)}`);
  };
  return (
    <div className="flex flex-wrap items-center justify-between gap-3 rounded-lg bg-sky-50 px-4 py-3 text-sky-950 text-sm dark:bg-sky-950/40 dark:text-sky-100">
      <p>
        Magic Hour reports faces without scores or positions, so there are no frames on the photo and the
        slider can't filter these faces. They were found at confidence {ranAt.toFixed(2)}.
      </p>
      <button
        type="button"
        onClick={rerun}
        disabled={state === "sending" || confidence === ranAt}
        className="rounded-lg bg-sky-700 px-3 py-1.5 font-medium text-white disabled:opacity-50"
      >
        {state === "sending" ? "Starting…" : `Re-run at ${confidence.toFixed(2)}`}
      </button>
      {state === "failed" && <p role="alert">The re-run could not be started.</p>}
    </div>
  );
}
