import { UploadPanel } from "@/components/upload-panel";

export default function HomePage() {
  return (
    <main className="mx-auto flex max-w-3xl flex-col items-center px-4 py-10 sm:py-16">
      <h1 className="text-center font-semibold text-3xl tracking-tight sm:text-4xl">
        Find every face in a photo
      </h1>
      <p className="mt-3 mb-8 max-w-xl text-center text-neutral-600 dark:text-neutral-400">
        Drop a group photo: each face comes back as its own picture, with a link you can share. Small faces in
        the back row included. Photos are processed on this server.
      </p>
      <UploadPanel />
    </main>
  );
}
