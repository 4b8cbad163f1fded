import { open } from "node:fs/promises";

/** The first bytes of a file, for recognising its format without reading the rest. */
export async function readHead(file: string, bytes = 4096): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
