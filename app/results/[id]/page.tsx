import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { GoneNotice } from "@/components/gone-notice";
import { ResultView } from "@/components/result-view";
import { parseConfidence } from "@/lib/api/face-names";
import { DEFAULT_ENGINE_OPTIONS } from "@/lib/engine/face-engine";
import { serverContext } from "@/lib/server/context";
import { wasDeleted } from "@/lib/server/handlers/web/delete-detection";
import { detectionView } from "@/lib/server/handlers/web/detections";
import { publicOrigin } from "@/lib/server/request-body";
import { countLabel } from "@/lib/server/share-card";

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ confidence?: string | string[] }> };

async function origin(): Promise<string> {
  const h = await headers();
  const request = new Request(`http://${h.get("host") ?? "localhost"}/`, { headers: h });
  return publicOrigin(request, await serverContext());
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * A link's preview says what its recipient will see: the count at the link's own threshold (people for a video), a
 * card drawn at that threshold, and the link itself, query included, as og:url.
 */
export async function generateMetadata({ params, searchParams }: Props): Promise<Metadata> {
  const { id } = await params;
  const ctx = await serverContext();
  const view = await detectionView(ctx, id);
  if (!view) return { title: (await wasDeleted(ctx, id)) ? "Result deleted" : "Result not found" };
  if (view.expired) return { title: "Result expired" };
  const raw = single((await searchParams).confidence);
  const confidence = parseConfidence(raw, view.confidence);
  const done = view.status === "complete";
  const title = done ? countLabel(view, confidence) : "Finding faces…";
  const description =
    view.kind === "video"
      ? "Every person in this video, with when they appear, found by Face finder."
      : "Every face in this photo, each as its own picture, found by Face finder.";
  const base = await origin();
  const query = raw === undefined ? "" : `?confidence=${confidence.toFixed(2)}`;
  const images = done
    ? [
        {
          url: `${base}/api/detections/${view.id}/card.jpg?confidence=${confidence.toFixed(2)}`,
          width: 1200,
          height: 630,
          alt: title,
        },
      ]
    : [];
  return {
    title,
    description,
    metadataBase: new URL(base),
    openGraph: { title, description, type: "website", url: `${base}/results/${view.id}${query}`, images },
    twitter: { card: images.length ? "summary_large_image" : "summary", title, description, images },
  };
}

/** A result, server-rendered for anyone with the link, then kept live in the browser while detection runs. */
export default async function ResultPage({ params }: Props) {
  const { id } = await params;
  const ctx = await serverContext();
  const view = await detectionView(ctx, id);
  if (!view) {
    if (!(await wasDeleted(ctx, id))) notFound();
    return (
      <main className="mx-auto max-w-5xl px-4 py-6 sm:py-10">
        <GoneNotice heading="Deleted" text="Whoever made this result deleted it, with its photo and faces." />
      </main>
    );
  }
  return (
    <main className="mx-auto max-w-5xl px-4 py-4 sm:py-8">
      <Suspense>
        <ResultView
          key={view.id}
          initial={view}
          retentionDays={ctx.config.retentionMs / 86_400_000}
          candidateFloor={DEFAULT_ENGINE_OPTIONS.candidateFloor}
        />
      </Suspense>
    </main>
  );
}
