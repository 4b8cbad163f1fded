import type { Metadata, Viewport } from "next";
import { type ReactNode, Suspense } from "react";
import { ProviderBadge } from "@/components/provider-badge";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Face finder", template: "%s · Face finder" },
  description: "Find every face in a photo and share the result.",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#ffffff" },
    { media: "(prefers-color-scheme: dark)", color: "#0a0a0a" },
  ],
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-dvh bg-white text-neutral-900 antialiased dark:bg-neutral-950 dark:text-neutral-100">
        <header className="border-neutral-200 border-b dark:border-neutral-800">
          <div className="mx-auto flex max-w-5xl items-center justify-between px-4 py-3">
            {/* A plain link: next/link's client router would cost the home page 6 kB for one header link. */}
            <a href="/" className="font-semibold tracking-tight">
              Face finder
            </a>
            <Suspense>
              <ProviderBadge />
            </Suspense>
          </div>
        </header>
        {/* At least a screen tall, so the footer starts below the fold: a result page that grows as faces arrive
            then never pushes a visible footer down (a layout shift). */}
        <div className="min-h-dvh">{children}</div>
        <footer className="mx-auto max-w-5xl px-4 py-8 text-neutral-500 text-sm">
          <a href="/docs" className="hover:underline">
            API reference
          </a>
        </footer>
      </body>
    </html>
  );
}
