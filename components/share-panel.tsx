"use client";

import { lazy, Suspense, useEffect, useRef, useState } from "react";

const QrCode = lazy(() => import("./qr-code"));

/**
 * Copy link, and more ways to pass a result on. The clipboard API exists only in secure contexts (https or
 * localhost): over plain http on a LAN address — a demo from a laptop — the link is shown selected in a field to
 * copy by hand. Phones get the native share sheet; another device can scan the QR code.
 */
export function SharePanel({ expiresAt }: { expiresAt: string | null }) {
  const [open, setOpen] = useState(false);
  const [copied, setCopied] = useState<"copied" | "manual" | null>(null);
  const [url, setUrl] = useState("");
  const [canShare, setCanShare] = useState(false);
  const field = useRef<HTMLInputElement>(null);

  useEffect(() => setCanShare(typeof navigator.share === "function"), []);
  useEffect(() => {
    if (open && copied === "manual") field.current?.select();
  }, [open, copied]);
  // Escape or a click elsewhere closes the panel, as any popover does.
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setOpen(false);
    const onClick = (event: MouseEvent) => {
      if (!(event.target as Element).closest?.("[data-share-root]")) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("click", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("click", onClick);
    };
  }, [open]);

  const copy = async () => {
    const href = window.location.href;
    setUrl(href);
    try {
      if (!navigator.clipboard) throw new Error("no clipboard here");
      await navigator.clipboard.writeText(href);
      setCopied("copied");
      setTimeout(() => setCopied(null), 2500);
    } catch {
      setCopied("manual");
      setOpen(true);
    }
  };

  const toggle = () => {
    setUrl(window.location.href);
    setOpen((value) => !value);
  };

  return (
    <div className="relative" data-share-root>
      <div className="flex">
        <button
          type="button"
          onClick={copy}
          className="rounded-l-lg bg-indigo-600 px-3 py-1.5 font-medium text-sm text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2"
        >
          {copied === "copied" ? "Link copied" : "Copy link"}
        </button>
        <button
          type="button"
          onClick={toggle}
          aria-expanded={open}
          aria-controls="share-panel"
          className="rounded-r-lg border-indigo-500 border-l bg-indigo-600 px-2.5 py-1.5 font-medium text-sm text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600 focus-visible:outline-offset-2"
        >
          Share…
        </button>
      </div>
      <p aria-live="polite" className="sr-only">
        {copied === "copied" ? "Link copied" : ""}
      </p>
      {open && (
        <section
          id="share-panel"
          aria-label="Share this result"
          className="absolute left-0 z-20 mt-2 w-[min(20rem,calc(100vw-2rem))] sm:right-0 sm:left-auto rounded-xl bg-white p-4 text-sm shadow-xl ring-1 ring-neutral-200 dark:bg-neutral-900 dark:ring-neutral-700"
        >
          <label htmlFor="share-link" className="font-medium">
            Link to this result
          </label>
          <input
            ref={field}
            id="share-link"
            readOnly
            value={url}
            onFocus={(event) => event.currentTarget.select()}
            className="mt-1 w-full rounded-md bg-neutral-100 px-2 py-1.5 font-mono text-xs dark:bg-neutral-800"
          />
          {copied === "manual" && (
            <p role="status" className="mt-1 text-amber-800 dark:text-amber-300">
              This browser won't let the page copy here: the link is selected, copy it with Ctrl+C (⌘C) or a
              long press.
            </p>
          )}
          <p className="mt-2 text-neutral-600 dark:text-neutral-400">
            Anyone with the link sees this result at this confidence
            {expiresAt ? `, until ${new Date(expiresAt).toLocaleDateString()}` : ""}.
          </p>
          {canShare && (
            <button
              type="button"
              onClick={() => navigator.share({ title: document.title, url }).catch(() => undefined)}
              className="mt-3 w-full rounded-lg bg-indigo-600 px-3 py-2 font-medium text-white"
            >
              Send with another app…
            </button>
          )}
          <div className="mt-3 flex flex-col items-center gap-1">
            <Suspense fallback={<div className="h-44 w-44 animate-pulse rounded-lg bg-neutral-100" />}>
              {url && <QrCode text={url} />}
            </Suspense>
            <span className="text-neutral-600 text-xs dark:text-neutral-400">
              Scan to open on another device
            </span>
          </div>
        </section>
      )}
    </div>
  );
}
