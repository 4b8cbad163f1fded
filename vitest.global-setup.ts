import { ensureProductionBuild } from "./test/support/next-server";

/** Integration tests run against `next start`: build once, before any test file starts a server. */
export default function setup() {
  ensureProductionBuild();
}
