import { z } from "zod";

/** Request bodies of Magic Hour's API, as this server validates them. Field names are the contract's. */

export const UploadUrlsRequest = z.object({
  items: z
    .array(
      z.object({
        type: z.string(),
        extension: z.string(),
      }),
    )
    .min(1, "must list at least one item")
    .max(50, "at most 50 items per request"),
});

export const CreateFaceDetectionRequest = z.object({
  confidence_score: z.number().min(0).max(1).optional(),
  assets: z.object({
    target_file_path: z.string().min(1).max(2048),
  }),
});

export type CreateFaceDetectionRequest = z.infer<typeof CreateFaceDetectionRequest>;
