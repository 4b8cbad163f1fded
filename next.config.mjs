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
  ],
  poweredByHeader: false,
  // The build checks the app's own code; tests, scripts and eval are checked by \`npm run typecheck\`.
  typescript: { tsconfigPath: "tsconfig.build.json" },
};

export default nextConfig;
