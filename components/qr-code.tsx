"use client";

import { encode } from "uqr";

/** The link as a QR code, drawn as one SVG path (this module and uqr load only when the share panel opens). */
export default function QrCode({ text, size = 176 }: { text: string; size?: number }) {
  const { data } = encode(text, { ecc: "M", border: 2 });
  const path = data.flatMap((row, y) => row.map((dark, x) => (dark ? `M${x},${y}h1v1h-1z` : ""))).join("");
  return (
    <svg
      role="img"
      aria-label="QR code of this link"
      viewBox={`0 0 ${data.length} ${data.length}`}
      width={size}
      height={size}
      shapeRendering="crispEdges"
      className="rounded-lg bg-white"
    >
      <path d={path} fill="#000" />
    </svg>
  );
}
