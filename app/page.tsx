import { connection } from "next/server";
import { MyResults } from "@/components/my-results";
import { UploadPanel } from "@/components/upload-panel";
import { serverConfig } from "@/lib/server/context";

export default async function HomePage() {
  // The retention period is runtime configuration, so the page is rendered per request, not at build time.
  await connection();
  const { retentionMs, provider, maxUploadBytes } = serverConfig();
  const retentionDays = retentionMs / 86_400_000;
  return (
    <main className="mx-auto flex max-w-3xl flex-col items-center px-4 py-8 sm:py-14">
      <h1 className="text-center font-semibold text-3xl tracking-tight sm:text-4xl">
        Find every face in a photo
      </h1>
      <p className="mt-3 mb-6 max-w-xl text-center text-neutral-600 dark:text-neutral-400">
        Drop a group photo and each face comes back as its own picture, small faces in the back row included,
        with a link you can share. A video gives every person in it.{" "}
        {provider === "local"
          ? "Photos are processed on this server."
          : "Faces are found by Magic Hour's API."}
      </p>
      <UploadPanel retentionDays={retentionDays} maxUploadBytes={maxUploadBytes} />
      <MyResults retentionDays={retentionDays} />
    </main>
  );
}
