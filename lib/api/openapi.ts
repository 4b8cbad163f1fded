import { z } from "zod";
import packageJson from "../../package.json";
import {
  CreateFaceDetectionRequest,
  CreateFaceDetectionResponse,
  DOCUMENTED_SCHEMAS,
  FaceDetection,
  UploadUrlsRequest,
  UploadUrlsResponse,
} from "./schemas";

/**
 * The OpenAPI 3.1 document of the `/v1` API, built from the zod schemas the handlers validate with
 * (lib/api/schemas.ts): served at GET /v1/openapi.json, rendered at /docs, committed as docs/openapi.json
 * (`npm run openapi`; a test checks the copy is current). Everything in it is JSON Schema 2020-12, which OpenAPI 3.1
 * uses as is.
 */

type JsonObject = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const NAME_OF = new Map<z.ZodType, string>(
  Object.entries(DOCUMENTED_SCHEMAS).map(([name, schema]) => [schema as z.ZodType, name]),
);
const REQUESTS = new Set<z.ZodType>([UploadUrlsRequest, CreateFaceDetectionRequest]);

/** components/schemas: requests as the server accepts them (io "input"), responses as it sends them. */
function componentSchemas(): Record<string, JsonObject> {
  const schemas: Record<string, JsonObject> = {};
  for (const io of ["input", "output"] as const) {
    const registry = z.registry<{ id: string }>();
    for (const [schema, name] of NAME_OF) {
      if (REQUESTS.has(schema) === (io === "input")) registry.add(schema, { id: name });
    }
    const converted = z.toJSONSchema(registry, {
      io,
      target: "draft-2020-12",
      uri: (id) => `#/components/schemas/${id}`,
      // zod bounds every integer by ±2^53; that says nothing a reader needs.
      override: ({ jsonSchema }) => {
        if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
        if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      },
    });
    for (const [name, schema] of Object.entries(converted.schemas)) {
      // Each would name itself and its dialect; inside an OpenAPI 3.1 document both are implied.
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
      schemas[name] = rest;
    }
  }
  return schemas;
}

const json = (schema: JsonObject) => ({ "application/json": { schema } });
const withRequestId = { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } };

function success(description: string, schema: z.ZodType) {
  const name = NAME_OF.get(schema);
  if (!name) throw new Error(`schema for "${description}" is not in DOCUMENTED_SCHEMAS`);
  return { description, headers: withRequestId, content: json(ref(name)) };
}

const ERRORS: Record<string, string> = {
  "400":
    "The request is invalid: no body, bad JSON, or a field that fails the schema (the message names it).",
  "401": 'No valid `Authorization: Bearer <key>` header: `{"message":"Unauthorized"}`.',
  "403": "The upload URL's signature is wrong or it has expired.",
  "404": 'No such task for this key: `{"message":"Not Found"}`.',
  "405": "Wrong method for this path; the `Allow` header lists the right ones.",
  "409": "A file was already uploaded to this URL, or an upload to it is in progress.",
  "413": "The body is larger than the server's limit (checked while it streams in).",
  "415": "The content type or the file's content is not what the endpoint accepts.",
  "422":
    "Valid JSON that can't be acted on: an unknown type or extension, or a file that was never uploaded.",
  "429": "Over a rate limit: wait the seconds that `Retry-After` gives.",
  "500": "An unexpected server error (logged with the request id).",
  "507":
    "The server is short of storage space (below `MIN_FREE_DISK_BYTES`, or a write failed): try again later.",
};

function errors(...statuses: (keyof typeof ERRORS)[]) {
  return Object.fromEntries(statuses.map((status) => [status, { $ref: `#/components/responses/${status}` }]));
}

const DESCRIPTION = `Magic Hour's face-detection API, served by this app: Magic Hour's SDK works against it unchanged
(point its \`baseUrl\` here). The flow: ask for an upload URL, PUT the file to it, create a detection with the
returned \`file_path\` (or an http(s) URL), then poll the task until its \`status\` is \`complete\` or \`error\`.

**Auth.** Every \`/v1\` request needs \`Authorization: Bearer <key>\` with a key from the server's \`API_KEYS\`
(401 otherwise; with no keys configured the API is closed). A task is visible only to the key that created it. The
upload URL (a PUT) and the face crops need no token: the signature and the 128-bit random ids are the capabilities.

**Errors.** Every error is JSON \`{"message": "..."}\`, whatever the status, including 404 for an unknown path and
405 (with an \`Allow\` header) for a wrong method. Every response carries an \`X-Request-Id\`, also written to the
server's log line for that request.

**Rate limits.** Creating upload URLs, uploading and creating detections count against two per-minute budgets:
one per API key (\`RATE_LIMIT_PER_KEY\`, default 120) and one per client address (\`RATE_LIMIT_PER_ADDRESS\`,
default 120). Over either, the answer is 429 with \`Retry-After\` (seconds). Reading a task is not limited.

**Extra fields.** Beside Magic Hour's fields this server returns more (marked "Extra" below): per task \`kind\`,
\`provider\`, \`confidence_score\`, \`width\`, \`height\`, \`error\`, and for videos \`duration\` and \`progress\`; per
face \`frame\`, \`score\`, \`box\` and \`landmarks\`, and for videos \`time\` and \`appearances\`. Magic Hour's SDK
ignores them; read them with a plain GET of the task.`;

export function openApiDocument(): JsonObject {
  return {
    openapi: "3.1.0",
    info: {
      title: "Face finder API",
      version: packageJson.version,
      summary: "Magic Hour's face-detection API on a local engine.",
      description: DESCRIPTION,
    },
    servers: [{ url: "/", description: "This server" }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: "Files", description: "Uploading the photo or video to look at." },
      { name: "Face Detection", description: "Finding the faces, and reading the result." },
      { name: "Server", description: "This server's own endpoints." },
    ],
    paths: {
      "/v1/files/upload-urls": {
        post: {
          tags: ["Files"],
          operationId: "videoAssets.generatePresignedUrl",
          summary: "Generate upload URLs",
          description:
            "One signed, expiring PUT URL per file, in request order. The URL lives for `UPLOAD_URL_TTL_SECONDS` " +
            "(default 3600).",
          requestBody: { required: true, content: json(ref("UploadUrlsRequest")) },
          responses: {
            "200": success("The upload URLs, in request order.", UploadUrlsResponse),
            ...errors("400", "401", "413", "415", "422", "429", "507"),
          },
        },
      },
      "/uploads/{id}": {
        put: {
          tags: ["Files"],
          operationId: "files.upload",
          summary: "Upload a file",
          description:
            "The `upload_url` from POST /v1/files/upload-urls, as given (its query carries the signature). The " +
            "body is the file's bytes. The size limit (`MAX_UPLOAD_BYTES`, default 200 MB) is enforced while " +
            "streaming, the content must be the declared kind whatever its extension, and the file becomes usable " +
            "only once complete.",
          security: [],
          parameters: [
            {
              name: "id",
              in: "path",
              required: true,
              schema: { type: "string", pattern: "^[A-Za-z0-9_-]{22}$" },
            },
            { name: "expires", in: "query", required: true, schema: { type: "integer" } },
            { name: "signature", in: "query", required: true, schema: { type: "string" } },
          ],
          requestBody: {
            required: true,
            content: {
              "application/octet-stream": {
                schema: { type: "string", contentMediaType: "application/octet-stream" },
              },
            },
          },
          responses: {
            "200": { description: "Stored. The body is empty.", headers: withRequestId },
            ...errors("400", "403", "404", "409", "413", "415", "429", "507"),
          },
        },
      },
      "/v1/face-detection": {
        post: {
          tags: ["Face Detection"],
          operationId: "faceDetection.detectFaces",
          summary: "Create a face detection",
          description:
            "Queues a detection and answers at once with the task's id; poll GET /v1/face-detection/{id} for the " +
            "faces. Images take well under a second on the local engine; a video takes a fraction of its length.",
          requestBody: { required: true, content: json(ref("CreateFaceDetectionRequest")) },
          responses: {
            "200": success("The task was created.", CreateFaceDetectionResponse),
            ...errors("400", "401", "413", "415", "422", "429", "507"),
          },
        },
      },
      "/v1/face-detection/{id}": {
        get: {
          tags: ["Face Detection"],
          operationId: "faceDetection.getDetails",
          summary: "Get a face detection",
          description: "The task's status and, once complete, its faces.",
          parameters: [
            {
              name: "id",
              in: "path",
              required: true,
              description: "The `id` that POST /v1/face-detection returned.",
              schema: { type: "string" },
            },
          ],
          responses: {
            "200": success("The task.", FaceDetection),
            ...errors("401", "404"),
          },
        },
      },
      "/api-assets/{id}/{file}": {
        get: {
          tags: ["Face Detection"],
          operationId: "assets.get",
          summary: "Download a face crop",
          description: "A face's `url`: a square PNG, cached for a year. No token needed.",
          security: [],
          parameters: [
            {
              name: "id",
              in: "path",
              required: true,
              description: "The task's id.",
              schema: { type: "string" },
            },
            {
              name: "file",
              description: "`{frame}-{index}.png`, as in the face's `path`.",
              in: "path",
              required: true,
              schema: { type: "string", pattern: "^\\d+-\\d+\\.png$" },
              example: "0-0.png",
            },
          ],
          responses: {
            "200": {
              description: "The crop.",
              content: { "image/png": { schema: { type: "string", contentMediaType: "image/png" } } },
            },
            ...errors("404"),
          },
        },
      },
      "/api/health": {
        get: {
          tags: ["Server"],
          operationId: "health.get",
          summary: "Health check",
          description:
            "200 when the server and its database answer: `ok`, or `degraded` with the reasons while it can't take " +
            "new files (free space below `MIN_FREE_DISK_BYTES`, a database that takes no writes); 503 when the " +
            "database can't be read.",
          security: [],
          responses: {
            "200": {
              description: "Answering; `degraded` says why new work is refused.",
              content: json({
                type: "object",
                properties: {
                  status: { enum: ["ok", "degraded"] },
                  reasons: { type: "array", items: { type: "string" } },
                },
                required: ["status"],
              }),
            },
            "503": {
              description: "The database does not answer.",
              content: json({
                type: "object",
                properties: {
                  status: { const: "error" },
                  reasons: { type: "array", items: { type: "string" } },
                },
                required: ["status"],
              }),
            },
          },
        },
      },
      "/v1/openapi.json": {
        get: {
          tags: ["Server"],
          operationId: "openapi.get",
          summary: "This document",
          security: [],
          responses: {
            "200": { description: "The OpenAPI 3.1 document.", content: json({ type: "object" }) },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description:
            "`Authorization: Bearer <key>`, with one of the server's `API_KEYS` (8+ characters each).",
        },
      },
      headers: {
        "X-Request-Id": {
          description: "This request's id, as in the server's log line for it.",
          schema: { type: "string" },
        },
        "Retry-After": {
          description: "Seconds to wait before trying again.",
          schema: { type: "integer", minimum: 1 },
        },
        Allow: { description: "The methods this path accepts.", schema: { type: "string" } },
      },
      responses: Object.fromEntries(
        Object.entries(ERRORS).map(([status, description]) => [
          status,
          {
            description,
            headers: {
              ...withRequestId,
              ...(status === "429" ? { "Retry-After": { $ref: "#/components/headers/Retry-After" } } : {}),
              ...(status === "405" ? { Allow: { $ref: "#/components/headers/Allow" } } : {}),
            },
            content: json(ref("Error")),
          },
        ]),
      ),
      schemas: componentSchemas(),
    },
  };
}
