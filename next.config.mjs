import os from "node:os";

/**
 * Hosts allowed to load the development server's scripts besides localhost (Next blocks others, so a page opened
 * from `npm run dev`'s "Network:" URL never hydrates): ALLOWED_DEV_ORIGINS (comma-separated hostnames, wildcards
 * like `*.local` allowed), or else every private IPv4 address of this machine. Development only.
 */
function allowedDevOrigins() {
  const configured = process.env.ALLOWED_DEV_ORIGINS;
  if (configured)
    return configured
      .split(",")
      .map((host) => host.trim())
      .filter(Boolean);
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((net) => net && net.family === "IPv4" && !net.internal)
    .map((net) => net.address)
    .filter((address) => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address));
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  // A second build directory lets the secret-scan test build with a sentinel token beside the normal build.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // Native and wasm-backed engine packages are loaded from node_modules at run time, never bundled.
  serverExternalPackages: [
    "onnxruntime-node",
    "sharp",
    "better-sqlite3",
    "libheif-js",
    "pdfjs-dist",
    "bmpimagejs",
    // The scale-out clients: loaded as they are published (native bits, dynamic requires, Lua scripts read from
    // their package at run time), not bundled.
    "bullmq",
    "ioredis",
    "pg",
    "prom-client",
    "@aws-sdk/client-s3",
    "@aws-sdk/lib-storage",
    "@aws-sdk/s3-request-presigner",
  ],
  poweredByHeader: false,
  allowedDevOrigins: allowedDevOrigins(),
  // The build checks the app's own code; tests, scripts and eval are checked by \`npm run typecheck\`.
  typescript: { tsconfigPath: "tsconfig.build.json" },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
        ],
      },
      {
        // Everything that isn't a page (pages get a nonce-based policy from proxy.ts): nothing may run or frame it.
        source: "/:prefix(api|api-assets|uploads|v1)/:path*",
        headers: [
          { key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'; sandbox" },
        ],
      },
    ];
  },
};

export default nextConfig;
