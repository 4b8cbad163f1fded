import { connection } from "next/server";
import { serverConfig } from "@/lib/server/context";

const LABELS = { local: "Runs on this server", "magic-hour": "Uses Magic Hour" } as const;

/** Which provider detects faces on this server, read at request time (configuration is runtime, not build time). */
export async function ProviderBadge() {
  await connection();
  const provider = serverConfig().provider;
  return (
    <span
      title={provider === "local" ? "Faces are found on this server" : "Faces are found by Magic Hour's API"}
      className="rounded-full bg-neutral-100 px-2.5 py-1 text-neutral-700 text-xs dark:bg-neutral-900 dark:text-neutral-300"
    >
      {LABELS[provider]}
    </span>
  );
}
