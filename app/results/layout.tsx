import type { ReactNode } from "react";
import { Providers } from "../providers";

/** React Query lives where polling happens: the home page ships without it. */
export default function ResultsLayout({ children }: { children: ReactNode }) {
  return <Providers>{children}</Providers>;
}
