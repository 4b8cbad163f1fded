import { z } from "zod";

/**
 * The confidence threshold, one definition for every route and the UI: a number from 0 to 1. In a query string
 * it must be written out (`?confidence=0.7`); missing, empty or non-numeric is refused rather than read as 0,
 * which is what `Number(null)` would give.
 */
export const Confidence = z
  .number({ error: "must be a number between 0 and 1" })
  .min(0, "must be between 0 and 1")
  .max(1, "must be between 0 and 1");

export const ConfidenceParam = z
  .string({ error: "is required (a number between 0 and 1)" })
  .trim()
  .regex(/^(\d+(\.\d*)?|\.\d+)$/, "must be a number between 0 and 1")
  .transform(Number)
  .pipe(Confidence);
