export default function HomePage() {
  return (
    <main className="mx-auto max-w-2xl px-6 py-16">
      <h1 className="font-semibold text-3xl tracking-tight">Face finder</h1>
      <p className="mt-4 text-lg text-neutral-600 dark:text-neutral-300">
        Finds every face in a photo, small ones in group shots included, with an engine that runs on this
        server: no account, no upload to anyone else.
      </p>
      <p className="mt-6 text-neutral-600 dark:text-neutral-300">
        The upload page and the Magic Hour–compatible API are being built. Today the engine runs from the
        command line:
      </p>
      <pre className="mt-3 overflow-x-auto rounded-lg bg-neutral-100 p-4 text-sm dark:bg-neutral-900">
        <code>npm run --silent detect -- --json photo.jpg</code>
      </pre>
    </main>
  );
}
