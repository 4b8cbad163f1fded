"use client";

import { useEffect, useRef } from "react";

/**
 * Everything a result can be downloaded as, at the confidence on screen: the faces (ZIP with face-01.png… as the
 * gallery numbers them, plus faces.json and faces.csv), and for photos with face positions the full-size photo with
 * frames, or with every face blurred (a copy safe to share).
 */
export function DownloadMenu({
  id,
  confidence,
  hasFaces,
  photoExports,
}: {
  id: string;
  confidence: number;
  hasFaces: boolean;
  photoExports: boolean;
}) {
  const menu = useRef<HTMLDetailsElement>(null);
  // A click elsewhere or Escape closes the menu, as any menu does.
  useEffect(() => {
    const close = (event: Event) => {
      const element = menu.current;
      if (!element?.open) return;
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !element.contains(event.target as Node)) {
        element.open = false;
      }
    };
    document.addEventListener("click", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("click", close);
      document.removeEventListener("keydown", close);
    };
  }, []);
  const query = `confidence=${confidence.toFixed(2)}`;
  const base = `/api/detections/${id}`;
  const links = [
    hasFaces && { href: `${base}/faces.zip?${query}`, label: "All faces (ZIP, with JSON and CSV)" },
    hasFaces && { href: `${base}/faces.csv?${query}`, label: "Face boxes and scores (CSV)" },
    hasFaces && { href: `${base}/faces.json?${query}`, label: "Face boxes and scores (JSON)" },
    photoExports && { href: `${base}/photo.jpg?style=framed&${query}`, label: "Photo with frames" },
    photoExports && { href: `${base}/photo.jpg?style=blurred&${query}`, label: "Photo with faces blurred" },
  ].filter((link): link is { href: string; label: string } => Boolean(link));
  if (links.length === 0) return null;
  return (
    <details ref={menu} className="group relative">
      <summary className="cursor-pointer list-none rounded-lg px-3 py-1.5 font-medium text-sm ring-1 ring-neutral-300 hover:bg-neutral-50 dark:ring-neutral-700 dark:hover:bg-neutral-900 [&::-webkit-details-marker]:hidden">
        Download ▾
      </summary>
      <ul className="absolute right-0 z-20 mt-2 w-64 rounded-xl bg-white p-1.5 text-sm shadow-xl ring-1 ring-neutral-200 dark:bg-neutral-900 dark:ring-neutral-700">
        {links.map((link) => (
          <li key={link.href}>
            <a
              href={link.href}
              download
              onClick={(event) => event.currentTarget.closest("details")?.removeAttribute("open")}
              className="block rounded-lg px-3 py-2 hover:bg-neutral-100 dark:hover:bg-neutral-800"
            >
              {link.label}
            </a>
          </li>
        ))}
      </ul>
    </details>
  );
}
