import { z } from "zod";
import { Confidence } from "./confidence";

/**
 * The `/v1` API's bodies, requests and responses, as zod schemas. Handlers validate requests with them, and
 * lib/api/openapi.ts turns them into the OpenAPI document, so the two can't drift apart. Field names are Magic
 * Hour's; the fields Magic Hour doesn't define are marked "Extra" (its SDK ignores them).
 */

const TASK_ID_EXAMPLE = "cP7yRkq2TzGx0bV3nW9sHA";

export const UploadUrlsRequest = z.object({
  items: z
    .array(
      z.object({
        type: z.string().meta({
          description:
            "`image` or `video` (anything else: 422). Faces are found in images and in videos (one face per person).",
          example: "image",
        }),
        extension: z.string().meta({
          description:
            "The file's extension, without the dot. Images: png jpg jpeg jfif heic heif webp avif jp2 tiff tif " +
            "bmp; videos: mp4 m4v mov webm (anything else: 422 listing these). The content itself must match " +
            "the type, whatever its name.",
          example: "jpg",
        }),
      }),
    )
    .min(1, "must list at least one item")
    .max(50, "at most 50 items per request")
    .meta({ description: "The files to upload. The response lists their URLs in the same order." }),
});

export const UploadUrlsResponse = z.object({
  items: z.array(
    z.object({
      upload_url: z.url().meta({
        description:
          "Signed URL: PUT the file's bytes to it, with no Authorization header, before `expires_at`. One PUT per URL.",
        example: `http://localhost:3000/uploads/${TASK_ID_EXAMPLE}?expires=1764547200&signature=…`,
      }),
      file_path: z.string().meta({
        description: "What `assets.target_file_path` takes once the file is uploaded.",
        example: `api-assets/${TASK_ID_EXAMPLE}/input.jpg`,
      }),
      expires_at: z.iso.datetime().meta({ description: "When the upload URL stops working." }),
    }),
  ),
});

export const CreateFaceDetectionRequest = z.object({
  confidence_score: Confidence.optional().meta({
    description:
      "Faces scoring below this are not listed (default 0.5). The local engine keeps every candidate above 0.3, " +
      "so a lower threshold finds more faces, and more false ones.",
    example: 0.5,
  }),
  assets: z.object({
    target_file_path: z
      .string()
      .min(1)
      .max(2048)
      .meta({
        description:
          "A `file_path` from POST /v1/files/upload-urls whose file was uploaded (else 422), or an http(s) URL " +
          "ending in a supported extension, which this server downloads (size and time limits; never from " +
          "loopback, private or link-local addresses, redirects included).",
        example: `api-assets/${TASK_ID_EXAMPLE}/input.jpg`,
      }),
  }),
});

export type CreateFaceDetectionRequest = z.infer<typeof CreateFaceDetectionRequest>;

export const CreateFaceDetectionResponse = z.object({
  id: z.string().meta({ description: "The task's id (128 random bits).", example: TASK_ID_EXAMPLE }),
  credits_charged: z.number().int().meta({ description: "Always 0 on this server.", example: 0 }),
});

export const FaceBox = z
  .object({
    x: z.number(),
    y: z.number(),
    width: z.number(),
    height: z.number(),
  })
  .meta({
    description:
      "Extra. The face's box in pixels of the upright image (EXIF orientation applied), to 0.1 px.",
    example: { x: 412.3, y: 188.9, width: 96.4, height: 96.4 },
  });

export const Appearance = z.object({ start: z.number().min(0), end: z.number().min(0) }).meta({
  description: "Extra, videos. A time range (seconds) in which this person is on screen.",
  example: { start: 1.5, end: 6 },
});

export const Face = z.object({
  path: z.string().meta({
    description: "The crop's path: `api-assets/{id}/{frame}-{index}.png`.",
    example: `api-assets/${TASK_ID_EXAMPLE}/0-0.png`,
  }),
  url: z.url().meta({
    description:
      "The crop, a square PNG (1.6 × the face). No token needed: the task's random id is the capability.",
    example: `http://localhost:3000/api-assets/${TASK_ID_EXAMPLE}/0-0.png`,
  }),
  frame: z.number().int().min(0).meta({
    description: "Extra. 0 for an image; for a video, the source frame of the person's best shot.",
    example: 0,
  }),
  score: z.number().min(0).max(1).optional().meta({
    description:
      "Extra. The detector's confidence, 0–1. Absent when Magic Hour found the face (it reports none).",
    example: 0.973,
  }),
  box: FaceBox.optional(),
  landmarks: z
    .array(z.tuple([z.number(), z.number()]))
    .optional()
    .meta({
      description:
        "Extra. Six [x, y] points in pixels: right eye, left eye, nose tip, mouth, right ear, left ear. " +
        "Absent when Magic Hour found the face.",
      example: [
        [440.1, 222.5],
        [476.8, 221.9],
        [458.7, 244.2],
        [458.9, 262.3],
        [420.4, 230.7],
        [497.2, 229.8],
      ],
    }),
  time: z.number().min(0).optional().meta({
    description: "Extra, videos. When the best shot was taken (seconds).",
    example: 2.5,
  }),
  appearances: z.array(Appearance).optional().meta({
    description: "Extra, videos. When this person is on screen.",
  }),
});

export const TaskStatus = z.enum(["queued", "rendering", "complete", "error"]).meta({
  description: "`queued` → `rendering` → `complete` or `error`. Poll until `complete` or `error`.",
});

export const FaceDetection = z.object({
  id: z.string().meta({ example: TASK_ID_EXAMPLE }),
  credits_charged: z.number().int().meta({ description: "Always 0 on this server.", example: 0 }),
  status: TaskStatus,
  faces: z.array(Face).meta({
    description:
      "The faces at or above the task's `confidence_score`: an image's left to right, a video's people in " +
      "order of appearance (one per person). Empty until the task is complete.",
  }),
  kind: z.enum(["image", "video"]).meta({ description: "Extra. What the file turned out to be." }),
  provider: z.enum(["local", "magic-hour"]).meta({
    description: "Extra. Who found the faces: this server's engine, or Magic Hour (see README).",
  }),
  confidence_score: z
    .number()
    .min(0)
    .max(1)
    .meta({ description: "Extra. The threshold the task was created with." }),
  width: z.number().int().nullable().meta({
    description: "Extra. Width of the upright image or video in pixels, once known.",
    example: 1280,
  }),
  height: z.number().int().nullable().meta({ description: "Extra. Height, as `width`.", example: 853 }),
  duration: z.number().nullable().optional().meta({
    description: "Extra, videos. Length in seconds, once known.",
    example: 12.4,
  }),
  progress: z.number().min(0).max(1).optional().meta({
    description: "Extra, videos. How far the analysis is, 0–1.",
    example: 0.4,
  }),
  error: z
    .object({ message: z.string() })
    .optional()
    .meta({
      description: "Extra. Why the task failed, when `status` is `error`.",
      example: { message: "The file could not be decoded as an image" },
    }),
});

export type FaceDetection = z.infer<typeof FaceDetection>;

export const ErrorBody = z
  .object({ message: z.string().meta({ description: "What went wrong, in words a person can act on." }) })
  .meta({ description: "Every error, whatever the status.", example: { message: "Unauthorized" } });

/** The schemas the OpenAPI document lists under components/schemas, by name (nested ones become references). */
export const DOCUMENTED_SCHEMAS = {
  UploadUrlsRequest,
  UploadUrlsResponse,
  CreateFaceDetectionRequest,
  CreateFaceDetectionResponse,
  FaceDetection,
  Face,
  FaceBox,
  Appearance,
  TaskStatus,
  Error: ErrorBody,
};
