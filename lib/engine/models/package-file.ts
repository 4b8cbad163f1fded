import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/**
 * Absolute path of a file shipped inside an npm package. Models are never copied into the repo or fetched at run
 * time: they come from node_modules, installed from the registry with a pinned version.
 */
export function packageFile(packageName: string, relativePath: string): string {
  const candidates: string[] = [];
  try {
    const require = createRequire(import.meta.url);
    candidates.push(path.join(path.dirname(require.resolve(`${packageName}/package.json`)), relativePath));
  } catch {
    // Bundlers may hide the resolver or the package manifest; fall back to the conventional location.
  }
  candidates.push(path.join(process.cwd(), "node_modules", packageName, relativePath));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`Model file ${packageName}/${relativePath} is missing: run npm install`);
  return found;
}
