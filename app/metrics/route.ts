import { handle, methodNotAllowed } from "@/lib/server/api-error";
import { serverContext } from "@/lib/server/context";
import { metricsAnswer } from "@/lib/server/web/metrics-endpoint";

/** Prometheus text: HTTP latency, the queue's depth, jobs run here (PROCESS_ROLE=all), Node's own figures. */
export const GET = handle(async (request: Request) => metricsAnswer(request, await serverContext()));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed(["GET"]);
