/** @type {import('next').NextConfig} */
const nextConfig = {
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
