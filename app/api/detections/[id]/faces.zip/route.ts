import { handle, notFound } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { facesZip } from "@/lib/server/faces-zip";

export const GET = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const confidence = Number(new URL(request.url).searchParams.get("confidence") ?? "0.5");
  const zip = await facesZip(
    serverContext(),
    (await params).id,
    Number.isFinite(confidence) ? confidence : 0.5,
  );
  if (!zip) throw notFound();
  return new Response(new Uint8Array(zip.bytes), {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="${zip.name}"`,
    },
  });
});
