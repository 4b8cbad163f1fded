/**
 * Where the HTTP hook (lib/server/http-hooks.ts) sends requests with a method other than GET or HEAD to a page:
 * refused before any of the body is read, and the connection closed after the answer.
 */
const refuse = () =>
  Response.json(
    { message: "Method Not Allowed: pages answer GET and HEAD" },
    { status: 405, headers: { Allow: "GET, HEAD", Connection: "close" } },
  );

export const GET = refuse;
export const HEAD = refuse;
export const POST = refuse;
export const PUT = refuse;
export const PATCH = refuse;
export const DELETE = refuse;
