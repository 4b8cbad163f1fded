import "server-only";
import { contentTypeOf } from "../../../media/media-types";
import { sniffImageFormat, sniffVideo } from "../../../media/sniff-media";
import { ApiError } from "../../api-error";
import { clientAddress } from "../../client-address";
import type { ServerContext } from "../../context";
import { ID_PATTERN } from "../../ids";
import { takeLimits } from "../../rate-limit";
import { bodyRules } from "../../request-body";
import { storeRequestBody } from "../../upload-stream";

/**
 * PUT /uploads/{id}?expires&signature: the file itself. No bearer token: the signed URL is the capability (signed
 * with the shared key, so any web instance takes a URL another one handed out). The size limit is enforced while
 * streaming to the blob store, the content must be the declared kind, and the file becomes visible only once
 * complete. One PUT per URL.
 */
export async function receiveUpload(request: Request, ctx: ServerContext, id: string): Promise<Response> {
  const limitHeaders = await takeLimits([
    [ctx.limits.apiPerAddress, clientAddress(request.headers, ctx.config.trustProxy)],
  ]);
  const url = new URL(request.url);
  const expires = Number(url.searchParams.get("expires"));
  const signature = url.searchParams.get("signature") ?? "";
  if (!ID_PATTERN.test(id) || !Number.isInteger(expires) || !ctx.signer.verify(id, expires, signature)) {
    throw new ApiError(403, "Invalid upload URL");
  }
  if (Date.now() > expires * 1000) throw new ApiError(403, "This upload URL has expired; request a new one");
  const upload = await ctx.uploads.get(id);
  if (!upload) throw new ApiError(404, "Not Found");
  if (upload.state === "uploaded") throw new ApiError(409, "A file was already uploaded to this URL");
  const rules = bodyRules(ctx, request, "file");
  if (Number(request.headers.get("content-length") ?? "0") > rules.maxBytes) throw rules.tooLarge();
  ctx.disk.require(Number(request.headers.get("content-length") ?? "0"));
  if (!(await ctx.uploads.claim(id))) throw new ApiError(409, "An upload to this URL is already in progress");

  try {
    const { size } = await storeRequestBody(request, rules, ctx.blobs, {
      empty: () => new ApiError(400, "The uploaded file is empty"),
      keyFor(head) {
        const matches = upload.kind === "image" ? sniffImageFormat(head) !== null : sniffVideo(head) !== null;
        if (!matches) {
          throw new ApiError(
            415,
            `The uploaded file is not a ${upload.kind} this server can read (declared: .${upload.extension})`,
          );
        }
        return { key: upload.filePath, contentType: contentTypeOf(upload.extension) };
      },
    });
    await ctx.uploads.markUploaded(id, size);
    return new Response(null, { status: 200, headers: limitHeaders });
  } catch (error) {
    // Nothing of a refused or failed upload stays: not the file (stored before a failed database write), not its
    // folder. The folder is this upload's alone.
    await ctx.blobs.deleteAll(id);
    await ctx.uploads.release(id);
    throw error;
  }
}
