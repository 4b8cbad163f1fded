import { describe, expect, it } from "vitest";
import { RemoteFileError } from "./remote-file-error";
import { bareHostname, parseRemoteUrl } from "./url-policy";

const EXTENSIONS = ["png", "jpg", "jpeg", "webp", "mp4"];

function refusal(raw: string, base?: URL): RemoteFileError {
  try {
    parseRemoteUrl(raw, base, EXTENSIONS);
  } catch (error) {
    if (error instanceof RemoteFileError) return error;
    throw error;
  }
  throw new Error(`expected ${raw} to be refused`);
}

describe("parseRemoteUrl", () => {
  it("accepts http and https URLs ending in an allowed extension, lowercasing it", () => {
    const parsed = parseRemoteUrl("https://images.example/a/Photo.JPG?size=large", undefined, EXTENSIONS);
    expect(parsed.extension).toBe("jpg");
    expect(parsed.url.href).toBe("https://images.example/a/Photo.JPG?size=large");
    expect(parseRemoteUrl("http://127.0.0.1:8080/clip.mp4", undefined, EXTENSIONS).extension).toBe("mp4");
  });

  it.each([
    ["no extension", "http://127.0.0.1/download", "must end in a file extension, one of: png, jpg"],
    ["a trailing slash", "http://127.0.0.1/image.png/", "must end in a file extension"],
    ["a disallowed extension", "http://127.0.0.1/image.svg", "must end in a file extension"],
    ["an executable", "http://127.0.0.1/setup.exe", "must end in a file extension"],
    ["ftp", "ftp://127.0.0.1/image.png", "only http and https URLs are supported."],
    ["file", "file:///etc/passwd.png", "only http and https URLs are supported."],
    ["javascript", "javascript:alert(1)//x.png", "only http and https URLs are supported."],
    [
      "credentials",
      "http://user:pass@127.0.0.1/image.png",
      "URLs with a user name or password are not accepted.",
    ],
    ["not a URL", "not a url.png", "the URL is not valid."],
    ["more than 2048 characters", `http://a.example/${"x".repeat(2048)}.png`, "longer than 2048 characters"],
  ])("refuses a URL with %s as invalid_url", (_label, url, reason) => {
    const error = refusal(url);
    expect(error.code).toBe("invalid_url");
    expect(error.message).toContain(reason);
  });

  it("resolves a redirect against the URL that redirected, and names that host when it refuses one", () => {
    const base = new URL("http://images.example/chain/2/file.png");
    expect(parseRemoteUrl("../1/file.png", base, EXTENSIONS).url.href).toBe(
      "http://images.example/chain/1/file.png",
    );
    const error = refusal("/script.exe", base);
    expect(error.code).toBe("invalid_url");
    expect(error.message).toMatch(/^The server at images\.example redirected to a URL that is not allowed: /);
  });
});

describe("bareHostname", () => {
  it("drops the brackets of an IPv6 literal and keeps names and IPv4 as they are", () => {
    expect(bareHostname(new URL("http://[::1]:8080/a.png"))).toBe("::1");
    expect(bareHostname(new URL("http://images.example/a.png"))).toBe("images.example");
    expect(bareHostname(new URL("http://0x7f.1/a.png"))).toBe("127.0.0.1");
  });
});
