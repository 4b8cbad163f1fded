/** What a link shows once its result is gone: expired by retention, or deleted by whoever made it. */
export function GoneNotice({ heading, text }: { heading: string; text: string }) {
  return (
    <div className="flex flex-col gap-6">
      <h1 id="gone-heading" tabIndex={-1} className="font-semibold text-2xl tracking-tight outline-none">
        {heading}
      </h1>
      <div className="rounded-2xl bg-neutral-100 px-6 py-8 text-center dark:bg-neutral-900">
        <p className="font-medium text-lg">{text}</p>
        <p className="mt-2 text-neutral-600 dark:text-neutral-400">
          Photos, videos and their faces are kept for a limited time, and whoever made a result can delete it
          sooner.
        </p>
        <a href="/" className="mt-4 inline-block rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white">
          Find faces in a new photo
        </a>
      </div>
    </div>
  );
}
