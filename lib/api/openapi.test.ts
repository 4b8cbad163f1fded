import { readFileSync } from "node:fs";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { responseChecker } from "../../test/support/openapi-check";
import { openApiDocument } from "./openapi";
import { resolve } from "./openapi-fields";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("the OpenAPI document", () => {
  const document = openApiDocument();

  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("has every reference resolvable", () => {
    const refs: string[] = [];
    JSON.stringify(document, (key, value) => {
      if (key === "$ref") refs.push(value);
      return value;
    });
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) expect(() => resolve(document, { $ref: ref }), ref).not.toThrow();
  });

  it("describes Magic Hour's three operations with their ids, auth, extra fields, errors and rate limits", () => {
    const paths = document.paths as Record<
      string,
      Record<string, { operationId: string; security?: unknown[] }>
    >;
    expect(paths["/v1/files/upload-urls"]?.post?.operationId).toBe("videoAssets.generatePresignedUrl");
    expect(paths["/v1/face-detection"]?.post?.operationId).toBe("faceDetection.detectFaces");
    expect(paths["/v1/face-detection/{id}"]?.get?.operationId).toBe("faceDetection.getDetails");
    expect(paths["/uploads/{id}"]?.put?.security).toEqual([]);
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    const schemas = (
      document.components as { schemas: Record<string, { properties: Record<string, unknown> }> }
    ).schemas;
    expect(Object.keys(schemas.FaceDetection?.properties ?? {})).toEqual(
      expect.arrayContaining(["id", "credits_charged", "status", "faces", "provider", "kind", "error"]),
    );
    expect(Object.keys(schemas.Face?.properties ?? {})).toEqual(
      expect.arrayContaining(["path", "url", "score", "box", "landmarks", "appearances", "time", "frame"]),
    );
    const tooMany = resolve(document, { $ref: "#/components/responses/429" }) as { headers: object };
    expect(Object.keys(tooMany.headers)).toContain("Retry-After");
  });

  it("is committed, current, as docs/openapi.json (npm run openapi rewrites it)", () => {
    const committed = JSON.parse(readFileSync(path.join(ROOT, "docs/openapi.json"), "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it("rejects bodies that break it, so the response checks can fail", () => {
    const check = responseChecker(document);
    const face = { path: "api-assets/x/0-0.png", url: "http://localhost/api-assets/x/0-0.png", frame: 0 };
    const task = {
      id: "x",
      credits_charged: 0,
      status: "complete",
      faces: [face],
      kind: "image",
      provider: "local",
      confidence_score: 0.5,
      width: 10,
      height: 10,
    };
    expect(() => check("/v1/face-detection/{id}", "GET", 200, task)).not.toThrow();
    expect(() => check("/v1/face-detection/{id}", "GET", 200, { ...task, status: "done" })).toThrow(/status/);
    expect(() => check("/v1/face-detection/{id}", "GET", 200, { ...task, undocumented: 1 })).toThrow();
    expect(() =>
      check("/v1/face-detection/{id}", "GET", 200, { ...task, faces: [{ ...face, url: "not a url" }] }),
    ).toThrow(/format/);
    expect(() => check("/v1/face-detection/{id}", "GET", 418, { message: "teapot" })).toThrow(
      /not in the document/,
    );
    expect(() => check("/v1/face-detection", "POST", 400, { error: "x" })).toThrow();
  });
});
