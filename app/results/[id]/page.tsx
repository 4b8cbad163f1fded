import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { ResultView } from "@/components/result-view";
import { facesAtConfidence } from "@/lib/api/detection-view";
import { serverContext } from "@/lib/server/context";
import { publicOrigin } from "@/lib/server/request-body";
import { detectionView } from "@/lib/server/web-detections";

type Props = { params: Promise<{ id: string }> };

async function origin(): Promise<string> {
  const h = await headers();
  const request = new Request(`http://${h.get("host") ?? "localhost"}/`, { headers: h });
  return publicOrigin(request, serverContext().config.publicBaseUrl);
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const view = detectionView(serverContext(), (await params).id);
  if (!view) return { title: "Result not found" };
  const count = facesAtConfidence(view.faces, view.confidence).length;
  const title =
    view.status === "complete" ? `${count} face${count === 1 ? "" : "s"} found` : "Finding faces…";
  const description = "Every face in this photo, found by Face finder.";
  const base = await origin();
  const images = view.shareImageUrl
    ? [{ url: `${base}${view.shareImageUrl}`, width: 1200, height: 630 }]
    : [];
  return {
    title,
    description,
    metadataBase: new URL(base),
    openGraph: { title, description, type: "website", url: `${base}/results/${view.id}`, images },
    twitter: { card: images.length ? "summary_large_image" : "summary", title, description, images },
  };
}

/** A result, server-rendered for anyone with the link, then kept live in the browser while detection runs. */
export default async function ResultPage({ params }: Props) {
  const view = detectionView(serverContext(), (await params).id);
  if (!view) notFound();
  return (
    <main className="mx-auto max-w-5xl px-4 py-6 sm:py-10">
      <Suspense>
        <ResultView initial={view} />
      </Suspense>
    </main>
  );
}
