import { describe, expect, it } from "vitest";
import { Confidence, ConfidenceParam } from "./confidence";
import { parseConfidence } from "./face-names";
import { CreateFaceDetectionRequest } from "./schemas";

describe("confidence", () => {
  it("reads a written-out number from 0 to 1 in a query string", () => {
    expect(ConfidenceParam.parse("0.7")).toBe(0.7);
    expect(ConfidenceParam.parse("1")).toBe(1);
    expect(ConfidenceParam.parse("0")).toBe(0);
    expect(ConfidenceParam.parse(".25")).toBe(0.25);
  });

  it("refuses a missing, empty or non-numeric value instead of reading it as 0", () => {
    for (const raw of [null, "", " ", "abc", "1e-3", "-0.1", "1.5", "NaN", "Infinity", "0x1"]) {
      expect(ConfidenceParam.safeParse(raw).success, String(raw)).toBe(false);
    }
  });

  it("is the same rule in the API's request body", () => {
    expect(Confidence.safeParse(1.01).success).toBe(false);
    const body = { assets: { target_file_path: "x" }, confidence_score: -0.5 };
    expect(CreateFaceDetectionRequest.safeParse(body).success).toBe(false);
    expect(CreateFaceDetectionRequest.safeParse({ ...body, confidence_score: 0.5 }).success).toBe(true);
  });

  it("lets display routes fall back to the task's own threshold on a bad value, in slider steps", () => {
    expect(parseConfidence("0.72", 0.5)).toBe(0.7);
    expect(parseConfidence(null, 0.4)).toBe(0.4);
    expect(parseConfidence("abc", 0.4)).toBe(0.4);
    expect(parseConfidence("1.5", 0.4)).toBe(0.4);
  });
});
