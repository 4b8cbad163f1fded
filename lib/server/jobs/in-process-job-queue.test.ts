import { inProcessJobQueue } from "./in-process-job-queue";
import { describeJobQueueContract } from "./job-queue-contract";

describeJobQueueContract("In-process", async (options) => inProcessJobQueue(options));
