/**
 * npm run openapi — writes docs/openapi.json, the committed copy of the document GET /v1/openapi.json serves
 * (lib/api/openapi.ts). A test fails when the copy is out of date.
 */
import { writeFileSync } from "node:fs";
import { openApiDocument } from "../lib/api/openapi";

const OPENAPI_COPY = "docs/openapi.json";

writeFileSync(OPENAPI_COPY, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log(`wrote ${OPENAPI_COPY}`);
