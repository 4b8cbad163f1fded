import { describe, expect, it } from "vitest";
import { ApiError } from "./api-error";
import { authenticate } from "./auth";

const KEY = "test-key-0123456789";
const OTHER = "other-key-0123456789";
/** SHA-256 of KEY, first 128 bits in hex (`printf test-key-0123456789 | sha256sum`): stored task owners are these. */
const KEY_OWNER = "0b026dcaf52dd2d7e8b377ed75182bfc";

const request = (authorization?: string) =>
  new Request("http://localhost/v1/face-detection", {
    headers: authorization === undefined ? {} : { authorization },
  });

function refusal(authorization: string | undefined, keys: readonly string[] = [KEY, OTHER]): unknown {
  try {
    authenticate(request(authorization), keys);
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${authorization} to be refused`);
}

describe("authenticate", () => {
  it("returns the key's owner id: the first 128 bits of its SHA-256, never the key", () => {
    expect(authenticate(request(`Bearer ${KEY}`), [KEY, OTHER])).toBe(KEY_OWNER);
  });

  it("gives each key its own owner, the same on every request", () => {
    const mine = authenticate(request(`Bearer ${KEY}`), [KEY, OTHER]);
    const theirs = authenticate(request(`Bearer ${OTHER}`), [KEY, OTHER]);
    expect(theirs).toMatch(/^[0-9a-f]{32}$/);
    expect(theirs).not.toBe(mine);
    expect(authenticate(request(`Bearer ${OTHER}`), [OTHER])).toBe(theirs);
  });

  it.each([
    ["the scheme in any case", `bearer ${KEY}`],
    ["more than one space", `Bearer   ${KEY}`],
    ["trailing white space", `Bearer ${KEY}  `],
  ])("reads the header with %s", (_label, header) => {
    expect(authenticate(request(header), [KEY])).toBe(KEY_OWNER);
  });

  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["no scheme", KEY],
    ["another scheme", `Basic ${KEY}`],
    ["no key", "Bearer "],
    ["two words", `Bearer ${KEY} ${KEY}`],
    ["an unknown key", "Bearer not-a-key-0123456789"],
    ["the key's owner id", `Bearer ${KEY_OWNER}`],
  ])("refuses %s with 401 Unauthorized", (_label, header) => {
    const error = refusal(header);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, message: "Unauthorized" });
  });

  it("refuses every key when none is configured: the API is closed", () => {
    expect(refusal(`Bearer ${KEY}`, [])).toMatchObject({ status: 401 });
  });

  // The comparison is between fixed-length digests, so keys of any length compare in constant time instead of
  // failing (timingSafeEqual throws on a length mismatch) or leaking where they first differ.
  it.each([
    ["a prefix of a key", KEY.slice(0, -1)],
    ["a key with one more character", `${KEY}0`],
    ["a key differing in its last character", `${KEY.slice(0, -1)}8`],
    ["a much longer key", KEY.repeat(50)],
  ])("compares %s against every key without throwing, and refuses it", (_label, offered) => {
    expect(refusal(`Bearer ${offered}`)).toMatchObject({ status: 401 });
  });

  it("finds a key wherever it stands in the list", () => {
    const keys = ["first-key-000000", "second-key-00000", KEY];
    expect(authenticate(request(`Bearer ${KEY}`), keys)).toBe(KEY_OWNER);
  });
});
