/**
 * An OpenAPI schema as a flat list of fields (`faces[].box.x`), for the /docs page: references resolved against the
 * document, nested objects and arrays of objects spelled out with dotted names.
 */

type Schema = Record<string, unknown>;

export interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  description: string;
  depth: number;
}

export function resolve(document: Schema, schema: Schema): Schema {
  const target = schema.$ref;
  if (typeof target !== "string") return schema;
  const found = target
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>((node, key) => (node as Schema | undefined)?.[key], document);
  if (!found) throw new Error(`unresolved reference ${target}`);
  // Keywords beside a $ref (a description, say) override the target's.
  const { $ref: _ref, ...beside } = schema;
  return { ...resolve(document, found as Schema), ...beside };
}

/** The alternatives a schema allows: `anyOf`/`oneOf` members, or one per name in a `type` list. */
function variants(document: Schema, schema: Schema): Schema[] {
  const anyOf = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (anyOf) return anyOf.map((s) => resolve(document, s));
  if (Array.isArray(schema.type)) return schema.type.map((type) => ({ ...schema, type }));
  return [schema];
}

export function typeName(document: Schema, raw: Schema): string {
  const schema = resolve(document, raw);
  const names = variants(document, schema).map((variant) => {
    if (Array.isArray(variant.enum)) return variant.enum.map((v) => JSON.stringify(v)).join(" | ");
    if ("const" in variant) return JSON.stringify(variant.const);
    if (variant.type === "array") {
      const items = variant.prefixItems as Schema[] | undefined;
      if (items) return `[${items.map((item) => typeName(document, item)).join(", ")}]`;
      return `array of ${typeName(document, (variant.items as Schema | undefined) ?? {})}`;
    }
    if (variant.type === "integer" || variant.type === "number") {
      const range =
        variant.minimum !== undefined && variant.maximum !== undefined
          ? ` ${variant.minimum}–${variant.maximum}`
          : "";
      return `${variant.type}${range}`;
    }
    if (variant.type === "string" && typeof variant.format === "string") return `string (${variant.format})`;
    return typeof variant.type === "string" ? variant.type : "any";
  });
  return names.join(" or ");
}

/** The object a schema describes, looking through `or null` and arrays (`faces[]`). */
function objectWithin(document: Schema, raw: Schema): { schema: Schema; suffix: string } | null {
  const nonNull = variants(document, resolve(document, raw)).filter((v) => v.type !== "null");
  const only = nonNull.length === 1 ? nonNull[0] : undefined;
  if (!only) return null;
  if (only.type === "object" && only.properties) return { schema: only, suffix: "" };
  if (only.type === "array" && only.items && !only.prefixItems) {
    const inner = objectWithin(document, only.items as Schema);
    return inner ? { schema: inner.schema, suffix: `[]${inner.suffix}` } : null;
  }
  return null;
}

export function fieldRows(document: Schema, raw: Schema, prefix = "", depth = 0): FieldRow[] {
  const schema = resolve(document, raw);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).flatMap(([key, property]) => {
    const resolved = resolve(document, property);
    const name = `${prefix}${key}`;
    const row: FieldRow = {
      name,
      type: typeName(document, property),
      required: required.has(key),
      description: typeof resolved.description === "string" ? resolved.description : "",
      depth,
    };
    const inner = objectWithin(document, property);
    return inner ? [row, ...fieldRows(document, inner.schema, `${name}${inner.suffix}.`, depth + 1)] : [row];
  });
}
