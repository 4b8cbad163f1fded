import { type NextRequest, NextResponse } from "next/server";

/**
 * A Content-Security-Policy with a fresh nonce per page request: Next.js puts the nonce on its own scripts, so no
 * inline or third-party script runs without it. Pages only; API routes and files are covered by next.config.mjs.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const dev = process.env.NODE_ENV === "development";
  const policy = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Tailwind's and React's inline style attributes (the face frames are positioned with them).
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

// Prefetches too: a request with `next-router-prefetch` can still be answered with a whole HTML page, which must
// carry the policy like any other.
export const config = {
  matcher: ["/((?!api/|api-assets/|uploads/|v1/|_next/static|_next/image|favicon.ico|samples/).*)"],
};
