import { useFetcher } from "@remix-run/react";
import { useId } from "react";

interface Answer {
  ok: boolean;
  added: string[];
  already: string[];
  message: string | null;
}

export interface AddReviewersProps {
  batchId: string;
  batchName: string;
  /** Enabled users who are not reviewers of the batch yet. */
  candidates: ReadonlyArray<{ username: string; displayName: string }>;
}

/**
 * "Add reviewers" for one batch of the batch list: items others skipped, or that need more
 * judgments than the batch had reviewers for, go to the reviewers added here.
 */
export function AddReviewers({ batchId, batchName, candidates }: AddReviewersProps) {
  const fetcher = useFetcher<Answer>();
  const id = useId();
  const answer = fetcher.data;
  return (
    <details className="add-reviewers">
      <summary>Add reviewers</summary>
      {candidates.length === 0 ? (
        <p className="small muted">Every enabled user already reviews this batch; create another user first.</p>
      ) : (
        <fetcher.Form method="post" action={`/admin/batches/${batchId}/reviewers`} aria-label={`Add reviewers to ${batchName}`}>
          <fieldset className="add-reviewers-choices" aria-describedby={`${id}-help`}>
            <legend className="small">Reviewers to add</legend>
            {candidates.map((c) => (
              <label key={c.username} className="checkbox">
                <input type="checkbox" name="reviewers" value={c.username} /> {c.displayName} <span className="muted small">({c.username})</span>
              </label>
            ))}
          </fieldset>
          <p className="small muted" id={`${id}-help`}>
            They get the items still short of the overlap, skipped ones included.
          </p>
          <button type="submit" disabled={fetcher.state !== "idle"}>
            {fetcher.state === "idle" ? "Add" : "Adding…"}
          </button>
        </fetcher.Form>
      )}
      {answer && (
        <p className={answer.ok ? "small notice success" : "small notice failure"} role="status">
          {answer.ok ? `Added ${answer.added.join(", ") || "no one new"}${answer.already.length ? `; already reviewing: ${answer.already.join(", ")}` : ""}.` : answer.message}
        </p>
      )}
    </details>
  );
}
