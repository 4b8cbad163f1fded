import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of a file shipped inside an npm package. Models are never copied into the repo or fetched at run
 * time: they come from node_modules, installed from the registry with a pinned version.
 *
 * The lookup walks up from this module and from the working directory, as Node's resolver would, rather than
 * calling require.resolve: bundled server code (Next.js) has neither a stable module location nor a resolver.
 */
export function packageFile(packageName: string, relativePath: string): string {
  const starts = [process.cwd()];
  if (import.meta.url.startsWith("file:")) starts.unshift(path.dirname(fileURLToPath(import.meta.url)));
  const tried: string[] = [];
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, "node_modules", packageName, relativePath);
      if (existsSync(candidate)) return candidate;
      tried.push(candidate);
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`${packageName}/${relativePath} is missing from node_modules: run npm install`);
}
