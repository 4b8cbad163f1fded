import "server-only";
import { strToU8, Zip, ZipPassThrough } from "fflate";
import type { ServerContext } from "../../context";
import { facesCsv, facesJson, faceTable } from "../../exports/face-table";
import { detectionView } from "./detections";

/**
 * The faces a viewer sees at a confidence, as a ZIP streamed while it is read: face-01.png… (the UI's numbering),
 * faces.json and faces.csv. Entries are stored, not deflated (PNGs don't compress further), and the next crop is
 * read only when the client has taken what came before, so a download holds about one crop in memory however many
 * faces the task has and however slowly the client reads.
 */
export async function facesZip(
  ctx: ServerContext,
  id: string,
  confidence: number,
): Promise<{ name: string; stream: ReadableStream<Uint8Array> } | null> {
  const view = await detectionView(ctx, id);
  if (view?.status !== "complete") return null;
  const rows = faceTable(view, confidence);
  const texts: Array<[string, string]> = [
    ["faces.json", facesJson(view, confidence)],
    ["faces.csv", facesCsv(view, confidence)],
  ];
  let zip: Zip;
  let next = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        zip = new Zip((error, chunk, final) => {
          if (error) return controller.error(error);
          if (chunk.length) controller.enqueue(chunk);
          if (final) controller.close();
        });
      },
      async pull(controller) {
        // One entry per pull: the stream asks again only once its queue has drained below the high-water mark.
        const row = rows[next];
        if (row) {
          next++;
          const entry = new ZipPassThrough(row.name);
          zip.add(entry);
          try {
            const crop = await ctx.blobs.get(row.key);
            if (!crop) throw new Error(`${row.key} is gone`);
            for await (const chunk of crop.stream) {
              entry.push(chunk as Buffer);
            }
          } catch (error) {
            // Deleted or expired while being downloaded: the archive can't be completed.
            controller.error(error);
            return;
          }
          entry.push(new Uint8Array(0), true);
          return;
        }
        for (const [name, text] of texts) {
          const entry = new ZipPassThrough(name);
          zip.add(entry);
          entry.push(strToU8(text), true);
        }
        zip.end();
      },
    },
    { highWaterMark: 1 },
  );
  return { name: `faces-${id}.zip`, stream };
}
