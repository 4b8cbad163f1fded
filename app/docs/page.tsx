import type { Metadata } from "next";
import { Fragment, type ReactNode } from "react";
import { openApiDocument } from "@/lib/api/openapi";
import { type FieldRow, fieldRows, resolve } from "@/lib/api/openapi-fields";

export const metadata: Metadata = {
  title: "API reference",
  description:
    "Magic Hour's face-detection API on this server: endpoints, fields, errors, auth and rate limits.",
};

/**
 * The API reference, rendered on the server from the same OpenAPI document GET /v1/openapi.json serves: plain HTML
 * and CSS, no script of its own and nothing from another site.
 */

type Json = Record<string, unknown>;
type Operation = {
  tags?: string[];
  operationId: string;
  summary: string;
  description?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema: Json; description?: string }[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, Json>;
};

const METHOD_STYLE: Record<string, string> = {
  get: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  post: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  put: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
};

/** The little Markdown the document's descriptions use: paragraphs, **bold** and `code`. */
function Prose({ text, className = "" }: { text: string; className?: string }) {
  return (
    <div className={`space-y-3 ${className}`}>
      {text.split(/\n{2,}/).map((paragraph) => (
        <p key={paragraph}>{inline(paragraph.replace(/\n/g, " "))}</p>
      ))}
    </div>
  );
}

function inline(text: string): ReactNode[] {
  return text.split(/(`[^`]+`|\*\*[^*]+\*\*)/).map((part, i) => {
    const key = `${i}-${part}`;
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1) {
      return (
        <code
          key={key}
          className="rounded bg-neutral-100 px-1 py-0.5 font-mono text-[0.85em] dark:bg-neutral-800"
        >
          {part.slice(1, -1)}
        </code>
      );
    }
    if (part.startsWith("**") && part.endsWith("**")) return <strong key={key}>{part.slice(2, -2)}</strong>;
    return <Fragment key={key}>{part}</Fragment>;
  });
}

/** Fields as a list, not a table: name and type over the description on a phone, side by side on wider screens. */
function Fields({ rows }: { rows: FieldRow[] }) {
  return (
    <ul className="divide-y divide-neutral-100 border-neutral-100 border-y text-sm dark:divide-neutral-900 dark:border-neutral-900">
      {rows.map((row) => {
        const extra = /^Extra(, videos)?\. /.exec(row.description);
        const description = extra ? row.description.slice(extra[0].length) : row.description;
        return (
          <li key={row.name} className="py-2 sm:grid sm:grid-cols-[minmax(14rem,20rem)_1fr] sm:gap-4">
            <div
              className="flex flex-wrap items-baseline gap-x-2"
              style={{ paddingLeft: `${row.depth * 0.75}rem` }}
            >
              <code className="break-all font-mono font-semibold text-[0.8rem]">{row.name}</code>
              <span className="font-mono text-violet-700 text-xs dark:text-violet-300">{row.type}</span>
              {row.required ? null : <span className="text-neutral-400 text-xs">optional</span>}
            </div>
            <p className="mt-0.5 text-neutral-700 sm:mt-0 dark:text-neutral-300">
              {extra ? (
                <span className="mr-1.5 rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-900 text-xs dark:bg-amber-950 dark:text-amber-200">
                  {extra[1] ? "extra · video" : "extra"}
                </span>
              ) : null}
              {inline(description)}
            </p>
          </li>
        );
      })}
    </ul>
  );
}

function Heading({ children }: { children: ReactNode }) {
  return (
    <h4 className="mt-5 mb-2 font-semibold text-neutral-500 text-xs uppercase tracking-wider">{children}</h4>
  );
}

function OperationCard({
  document,
  path,
  method,
  operation,
}: {
  document: Json;
  path: string;
  method: string;
  operation: Operation;
}) {
  const body = operation.requestBody?.content;
  const bodyType = body ? Object.keys(body)[0] : undefined;
  const bodySchema = bodyType ? body?.[bodyType]?.schema : undefined;
  const statuses = Object.entries(operation.responses).map(([status, raw]) => {
    const response = resolve(document, raw) as {
      description: string;
      content?: Record<string, { schema: Json }>;
    };
    return { status, response };
  });
  const success = statuses.filter(({ status }) => status.startsWith("2"));
  const failures = statuses.filter(({ status }) => !status.startsWith("2"));
  return (
    <section
      id={operation.operationId}
      className="scroll-mt-6 rounded-xl border border-neutral-200 p-5 dark:border-neutral-800"
    >
      <div className="flex flex-wrap items-center gap-3">
        <span
          className={`rounded-md px-2 py-0.5 font-bold font-mono text-xs uppercase ${METHOD_STYLE[method] ?? ""}`}
        >
          {method}
        </span>
        <code className="font-mono font-semibold text-sm sm:text-base">{path}</code>
        {operation.security?.length === 0 ? (
          <span className="rounded-full border border-neutral-300 px-2 py-0.5 text-neutral-500 text-xs dark:border-neutral-700">
            no token
          </span>
        ) : null}
      </div>
      <h3 className="mt-3 font-semibold text-lg">{operation.summary}</h3>
      {operation.description ? (
        <Prose text={operation.description} className="mt-1 text-neutral-700 dark:text-neutral-300" />
      ) : null}

      {operation.parameters?.length ? (
        <>
          <Heading>Parameters</Heading>
          <Fields
            rows={operation.parameters.map((parameter) => ({
              name: parameter.name,
              type: `${parameter.in}: ${String(resolve(document, parameter.schema).type ?? "string")}`,
              required: parameter.required ?? false,
              description: parameter.description ?? "",
              depth: 0,
            }))}
          />
        </>
      ) : null}

      {bodySchema ? (
        <>
          <Heading>Request body ({bodyType})</Heading>
          {bodyType === "application/json" ? (
            <Fields rows={fieldRows(document, bodySchema)} />
          ) : (
            <p className="text-neutral-700 text-sm dark:text-neutral-300">The file's bytes.</p>
          )}
        </>
      ) : null}

      {success.map(({ status, response }) => {
        const schema = response.content?.["application/json"]?.schema;
        return (
          <Fragment key={status}>
            <Heading>
              Response {status}: {response.description}
            </Heading>
            {schema ? <Fields rows={fieldRows(document, schema)} /> : null}
          </Fragment>
        );
      })}

      {failures.length ? (
        <>
          <Heading>Errors</Heading>
          <ul className="space-y-1 text-sm">
            {failures.map(({ status, response }) => (
              <li key={status} className="flex gap-3">
                <span className="w-10 shrink-0 font-mono font-semibold text-rose-700 dark:text-rose-400">
                  {status}
                </span>
                <span className="text-neutral-700 dark:text-neutral-300">{inline(response.description)}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

export default function DocsPage() {
  const document = openApiDocument();
  const info = document.info as { title: string; version: string; description: string };
  const operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(
    ([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  const tags = document.tags as { name: string; description: string }[];
  return (
    <main className="mx-auto max-w-5xl px-4 py-10">
      <p className="font-medium text-neutral-500 text-sm">Version {info.version} · OpenAPI 3.1</p>
      <h1 className="mt-1 font-semibold text-3xl tracking-tight">{info.title}</h1>
      <Prose text={info.description} className="mt-4 max-w-3xl text-neutral-700 dark:text-neutral-300" />
      <p className="mt-4 text-sm">
        Machine-readable:{" "}
        <a className="font-mono text-sky-700 underline dark:text-sky-400" href="/v1/openapi.json">
          /v1/openapi.json
        </a>
      </p>

      <nav aria-label="Endpoints" className="mt-8 rounded-xl bg-neutral-50 p-4 dark:bg-neutral-900">
        <ul className="grid gap-1 text-sm sm:grid-cols-2">
          {operations.map(({ path, method, operation }) => (
            <li key={operation.operationId}>
              <a className="flex items-baseline gap-2 hover:underline" href={`#${operation.operationId}`}>
                <span className="w-10 font-bold font-mono text-neutral-500 text-xs uppercase">{method}</span>
                <span className="font-mono">{path}</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>

      {tags.map((tag) => (
        <div key={tag.name} className="mt-10">
          <h2 className="font-semibold text-xl">{tag.name}</h2>
          <p className="mt-1 text-neutral-500">{tag.description}</p>
          <div className="mt-4 space-y-6">
            {operations
              .filter(({ operation }) => operation.tags?.includes(tag.name))
              .map(({ path, method, operation }) => (
                <OperationCard
                  key={operation.operationId}
                  document={document}
                  path={path}
                  method={method}
                  operation={operation}
                />
              ))}
          </div>
        </div>
      ))}
    </main>
  );
}
