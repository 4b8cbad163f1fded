import { describe, expect, it } from "vitest";
import { HEIC_QUADRANTS } from "../../test/support/heic-fixtures";
import { fileTypeBrands, findBox, readBoxes } from "./iso-bmff";

/** A box: 32-bit size, type, payload. */
function box(type: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length);
  header.write(type, 4, "latin1");
  return Buffer.concat([header, payload]);
}

describe("the ISO-BMFF box reader", () => {
  it("reads a real HEIC's top level and its nested item properties", () => {
    expect(readBoxes(HEIC_QUADRANTS).map((b) => b.type)).toEqual(["ftyp", "meta", "mdat"]);
    const meta = findBox(HEIC_QUADRANTS, "meta");
    const iprp = meta && findBox(HEIC_QUADRANTS, "iprp", meta.start + 4, meta.end);
    const ipco = iprp && findBox(HEIC_QUADRANTS, "ipco", iprp.start, iprp.end);
    expect(ipco && readBoxes(HEIC_QUADRANTS, ipco.start, ipco.end).map((b) => b.type)).toContain("hvcC");
    expect(fileTypeBrands(HEIC_QUADRANTS)).toEqual({ major: "heic", compatible: ["mif1", "heic", "miaf"] });
  });

  it("reads a 64-bit size and a last box that runs to the end (size 0)", () => {
    const large = Buffer.alloc(20);
    large.writeUInt32BE(1);
    large.write("mdat", 4, "latin1");
    large.writeBigUInt64BE(20n, 8);
    const open = Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.from("jp2c"), Buffer.from("codestream")]);
    const boxes = readBoxes(Buffer.concat([box("free"), large, open]));
    expect(boxes).toEqual([
      { type: "free", start: 8, end: 8 },
      { type: "mdat", start: 24, end: 28 },
      { type: "jp2c", start: 36, end: 46 },
    ]);
  });

  it("stops at a malformed size and never reads past the bytes it has", () => {
    const broken = Buffer.from(box("free"));
    broken.writeUInt32BE(4);
    expect(readBoxes(Buffer.concat([box("ftyp"), broken, box("moov")])).map((b) => b.type)).toEqual(["ftyp"]);
    const truncated = box("moov", Buffer.alloc(100)).subarray(0, 40);
    expect(readBoxes(truncated)).toEqual([{ type: "moov", start: 8, end: 40 }]);
    expect(fileTypeBrands(Buffer.from("not a box at all"))).toBeNull();
  });
});
