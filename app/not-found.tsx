/** Any unknown address, a mistyped or truncated share link included, inside the app's own layout. */
export default function NotFound() {
  return (
    <main className="mx-auto flex max-w-xl flex-col items-center px-4 py-16 text-center">
      <h1 className="font-semibold text-2xl tracking-tight">Nothing here</h1>
      <p className="mt-3 text-neutral-600 dark:text-neutral-400">
        This address doesn't lead to a result. If someone sent you a link, check that it was copied whole: a
        result's link ends in a 22-character code.
      </p>
      <a href="/" className="mt-6 rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white">
        Find faces in a photo
      </a>
    </main>
  );
}
