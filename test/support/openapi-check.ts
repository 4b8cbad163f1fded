import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { resolve } from "../../lib/api/openapi-fields";

/**
 * Checks real responses against the OpenAPI document: the status must be one the document lists for that operation
 * (or a general one: 404 for an unknown path, 405), and the JSON body must validate against its schema (JSON Schema
 * 2020-12, formats checked).
 */
type Json = Record<string, unknown>;

export function responseChecker(document: Json) {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  // OpenAPI's annotation keyword, and the document's own fields around the schemas.
  ajv.addKeyword("example");
  ajv.addKeyword("components");
  ajv.addSchema(
    { $id: "https://openapi.local/doc.json", components: { schemas: (document.components as Json).schemas } },
    undefined,
    undefined,
    false,
  );
  const paths = document.paths as Record<string, Record<string, { responses: Record<string, Json> }>>;
  const general = (document.components as { responses: Record<string, Json> }).responses;

  return function check(pathTemplate: string, method: string, status: number, body: unknown): void {
    const operation = paths[pathTemplate]?.[method.toLowerCase()];
    const listed =
      operation?.responses[String(status)] ??
      (status === 405 || status === 404 ? general[String(status)] : undefined);
    if (!listed) throw new Error(`${method} ${pathTemplate}: status ${status} is not in the document`);
    const response = resolve(document, listed) as { content?: Record<string, { schema: Json }> };
    const schema = response.content?.["application/json"]?.schema;
    if (!schema) {
      if (body !== undefined && body !== "")
        throw new Error(`${method} ${pathTemplate} ${status}: undocumented body`);
      return;
    }
    const ref = typeof schema.$ref === "string" ? `https://openapi.local/doc.json${schema.$ref}` : undefined;
    const validate = ref ? ajv.getSchema(ref) : ajv.compile(schema);
    if (!validate) throw new Error(`no schema at ${ref}`);
    if (!validate(body)) {
      throw new Error(
        `${method} ${pathTemplate} ${status}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
    }
  };
}
