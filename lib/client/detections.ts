import { queryOptions } from "@tanstack/react-query";
import { DetectionView, isTerminal } from "../api/detection-view";

export const detectionKeys = {
  all: ["detections"] as const,
  one: (id: string) => ["detections", id] as const,
};

async function fetchDetection(id: string): Promise<DetectionView> {
  const response = await fetch(`/api/detections/${id}`, { cache: "no-store" });
  if (!response.ok)
    throw new Error(
      response.status === 404 ? "This result does not exist" : `Server error (${response.status})`,
    );
  return DetectionView.parse(await response.json());
}

/** Polls every 400 ms while the detection runs and stops once it is complete or failed. */
export function detectionQuery(id: string, initialData?: DetectionView) {
  return queryOptions({
    queryKey: detectionKeys.one(id),
    queryFn: () => fetchDetection(id),
    initialData,
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status && isTerminal(status) ? false : 400;
    },
  });
}
