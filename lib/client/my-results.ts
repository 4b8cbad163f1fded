/**
 * The results this browser made, kept in localStorage (there are no accounts): enough to list them on the home page
 * and to delete one. The delete token never leaves this browser except in a DELETE to this app.
 */
export interface MyResult {
  id: string;
  createdAt: string;
  /** Null until the result page has seen the detection finish. */
  faces: number | null;
  kind: "image" | "video" | null;
  fileName: string | null;
  deleteToken: string | null;
}

const KEY = "facefinder:my-results";
const LIMIT = 50;
const listeners = new Set<() => void>();
let cache: { raw: string | null; list: MyResult[] } = { raw: null, list: [] };

function read(): MyResult[] {
  let raw: string | null = null;
  try {
    raw = window.localStorage.getItem(KEY);
  } catch {
    return [];
  }
  if (raw === cache.raw) return cache.list;
  let list: MyResult[] = [];
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    if (Array.isArray(parsed)) list = parsed.filter((r): r is MyResult => typeof r?.id === "string");
  } catch {
    // A damaged entry is treated as an empty list rather than breaking the page.
  }
  cache = { raw, list };
  return list;
}

function write(list: MyResult[]): void {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(list.slice(0, LIMIT)));
  } catch {
    // Private mode or a full quota: the result still works, it just isn't remembered.
  }
  for (const listener of listeners) listener();
}

export const myResults = {
  list: read,
  get: (id: string) => read().find((r) => r.id === id) ?? null,
  add(entry: Pick<MyResult, "id" | "deleteToken" | "fileName">): void {
    const rest = read().filter((r) => r.id !== entry.id);
    write([{ createdAt: new Date().toISOString(), faces: null, kind: null, ...entry }, ...rest]);
  },
  update(id: string, patch: Partial<Pick<MyResult, "faces" | "kind">>): void {
    const list = read();
    const found = list.find((r) => r.id === id);
    if (!found || (found.faces === patch.faces && found.kind === patch.kind)) return;
    write(list.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  },
  remove(id: string): void {
    write(read().filter((r) => r.id !== id));
  },
  /** For useSyncExternalStore: changes made here, and in other tabs. */
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    const onStorage = (event: StorageEvent) => event.key === KEY && listener();
    window.addEventListener("storage", onStorage);
    return () => {
      listeners.delete(listener);
      window.removeEventListener("storage", onStorage);
    };
  },
};
