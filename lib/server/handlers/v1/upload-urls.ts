import "server-only";
import { UploadUrlsRequest } from "../../../api/schemas";
import { IMAGE_EXTENSIONS, kindOfExtension, VIDEO_EXTENSIONS } from "../../../media/media-types";
import { ApiError } from "../../api-error";
import { authenticate } from "../../auth";
import { clientAddress } from "../../client-address";
import type { ServerContext } from "../../context";
import { newId } from "../../ids";
import { takeLimits } from "../../rate-limit";
import { bodyRules, publicOrigin, readJson } from "../../request-body";

const VALID = `image (${IMAGE_EXTENSIONS.join(", ")}) or video (${VIDEO_EXTENSIONS.join(", ")})`;

/** POST /v1/files/upload-urls: one signed, expiring PUT URL per requested file, in request order. */
export async function createUploadUrls(request: Request, ctx: ServerContext): Promise<Response> {
  const owner = authenticate(request, ctx.config.apiKeys);
  const limitHeaders = await takeLimits([
    [ctx.limits.perKey, owner],
    [ctx.limits.apiPerAddress, clientAddress(request.headers, ctx.config.trustProxy)],
  ]);
  const { items } = await readJson(request, UploadUrlsRequest, bodyRules(ctx, request, "json"));
  ctx.disk.require();
  const checked = items.map((item, i) => {
    const extension = item.extension.toLowerCase().replace(/^\./, "");
    const kind = kindOfExtension(extension);
    if (item.type !== "image" && item.type !== "video") {
      throw new ApiError(422, `items.${i}.type: '${item.type}' is not accepted; valid types: ${VALID}`);
    }
    if (kind !== item.type) {
      throw new ApiError(
        422,
        `items.${i}.extension: '${item.extension}' is not a valid ${item.type} extension; valid: ${VALID}`,
      );
    }
    return { kind, extension };
  });
  const origin = publicOrigin(request, ctx);
  const expiresAt = Math.floor(Date.now() / 1000) + ctx.config.uploadUrlTtlSeconds;
  const response = [];
  for (const { kind, extension } of checked) {
    const id = newId();
    const filePath = `api-assets/${id}/input.${extension}`;
    await ctx.uploads.create({ id, filePath, kind, extension, expiresAt: expiresAt * 1000, owner });
    const signature = ctx.signer.sign(id, expiresAt);
    response.push({
      upload_url: `${origin}/uploads/${id}?expires=${expiresAt}&signature=${signature}`,
      file_path: filePath,
      expires_at: new Date(expiresAt * 1000).toISOString(),
    });
  }
  return Response.json({ items: response }, { headers: limitHeaders });
}
