/**
 * A separate process standing in for a group of reviewers: each asks for its next item and
 * judges it until nothing is left, all interleaved, against the database in VERDICT_DB.
 * Prints one JSON line: judgments made per reviewer and any errors.
 */
import { nextAssignment } from "../../../app/services/assignments.server";
import { submitJudgment } from "../../../app/services/judgments.server";

const [batchId, ...reviewerIds] = process.argv.slice(2);
const counts: Record<string, number> = {};
const errors: string[] = [];
const active = new Set(reviewerIds);
let turn = 0;
while (active.size > 0) {
  for (const reviewer of [...active]) {
    try {
      const assignment = nextAssignment(batchId!, reviewer);
      if (!assignment) {
        active.delete(reviewer);
        continue;
      }
      const preferred = assignment.responses[turn++ % 2]!.id;
      submitJudgment(assignment.id, reviewer, { client_id: `${assignment.id}-c`, preferred, strength: 2 });
      counts[reviewer] = (counts[reviewer] ?? 0) + 1;
    } catch (error) {
      errors.push((error as Error).message);
      active.delete(reviewer);
    }
  }
  // Let the other processes in between.
  await new Promise((r) => setImmediate(r));
}
process.stdout.write(`${JSON.stringify({ counts, errors })}\n`);
