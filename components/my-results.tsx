"use client";

import { useState, useSyncExternalStore } from "react";
import { type MyResult, myResults } from "@/lib/client/my-results";

const EMPTY: MyResult[] = [];

function summary(result: MyResult): string {
  if (result.faces === null) return "Not finished when last seen";
  if (result.kind === "video") return `${result.faces} ${result.faces === 1 ? "person" : "people"}`;
  return `${result.faces} face${result.faces === 1 ? "" : "s"}`;
}

/**
 * The results this browser made, newest first, from localStorage: nothing on the server knows who made what.
 * Results older than the retention period are gone from the server, so they are left out.
 */
export function MyResults({ retentionDays }: { retentionDays: number }) {
  const all = useSyncExternalStore(myResults.subscribe, myResults.list, () => EMPTY);
  // A finished result whose preview is missing was deleted (perhaps from another tab) or expired on the server.
  const [gone, setGone] = useState<ReadonlySet<string>>(new Set());
  const cutoff = Date.now() - retentionDays * 86_400_000;
  const results = all.filter((r) => Date.parse(r.createdAt) > cutoff);
  if (results.length === 0) return null;
  return (
    <section aria-labelledby="my-results" className="mt-10 w-full">
      <h2 id="my-results" className="font-medium text-neutral-700 text-sm dark:text-neutral-300">
        Your results
      </h2>
      <p className="text-neutral-500 text-xs">Kept in this browser only.</p>
      <ul className="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-4">
        {results.map((result) => (
          <li key={result.id}>
            <a
              href={`/results/${result.id}`}
              className="group block overflow-hidden rounded-xl ring-1 ring-neutral-200 hover:ring-indigo-400 focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2 dark:ring-neutral-800"
            >
              {/* biome-ignore lint/performance/noImgElement: the server's own preview JPEG */}
              <img
                src={`/api-assets/${result.id}/preview.jpg`}
                alt=""
                loading="lazy"
                onError={() => result.faces !== null && setGone((ids) => new Set(ids).add(result.id))}
                width={320}
                height={200}
                className="aspect-[8/5] w-full bg-neutral-100 object-cover dark:bg-neutral-900"
              />
              <span className="block px-2 py-1.5 text-sm">
                <span className="block truncate font-medium">{result.fileName ?? "Untitled"}</span>
                <span className="block text-neutral-600 text-xs dark:text-neutral-400">
                  {gone.has(result.id) ? "No longer available" : summary(result)} ·{" "}
                  {new Date(result.createdAt).toLocaleDateString()}
                </span>
              </span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
