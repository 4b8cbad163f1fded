import { parseConfidence } from "@/lib/api/face-names";
import { handle, methodNotAllowed, notFound } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { facesZip } from "@/lib/server/handlers/web/faces-zip";

export const GET = handle(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const zip = await facesZip(
    await serverContext(),
    (await params).id,
    parseConfidence(new URL(request.url).searchParams.get("confidence"), 0.5),
  );
  if (!zip) throw notFound();
  return new Response(zip.stream, {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="${zip.name}"`,
      "Cache-Control": "no-store",
    },
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
