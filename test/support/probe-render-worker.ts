import { readdirSync, readFileSync } from "node:fs";
import type { RenderJob } from "../../src/render-worker.js";

/**
 * A render module for the render-pool tests, steered by the draft's org: "die" ends its process mid-job (as
 * running out of memory would), "hang" never finishes, "slow" takes 300 ms; otherwise it answers with its
 * process id and the nice value of each of its threads (Linux).
 */
export default async function probeRender({ draft }: RenderJob): Promise<string> {
  if (draft.org === "die") process.exit(3);
  if (draft.org === "hang") await new Promise(() => {});
  if (draft.org === "slow") await new Promise((resolve) => setTimeout(resolve, 300));
  return JSON.stringify({ pid: process.pid, nice: threadNice() });
}

function threadNice(): number[] {
  try {
    return readdirSync("/proc/self/task").map((task) => {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      // Field 19 (nice), counted after the command name in parentheses, which may contain spaces.
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    });
  } catch {
    return [];
  }
}
