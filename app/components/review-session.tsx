import { Link } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import { checkJudgment, judgmentInputSchema } from "~/core/tasks/judgment";
import type { AssignmentView, ReviewProgress } from "~/core/tasks/view";
import { JudgingForm, type EditingPosition } from "./judging/judging-form";
import { KeyLegend } from "./judging/key-legend";
import { SkippedItems } from "./judging/skipped-items";
import type { JudgingSubmission } from "./judging/state";
import { formatFigure } from "~/core/figures";

interface QueueAnswer {
  queue: AssignmentView[];
  /** The reviewer's judgments in the batch, as stored. */
  mine: number;
  /** Why the reviewer is paused in the batch (their gold accuracy), or null. */
  paused?: string | null;
}

interface FailedWrite {
  body: unknown;
  message: string;
}

/**
 * A 503 means the server changed nothing because another write (a large import) holds the
 * database: the write is sent again after the server's Retry-After for as long as an import
 * may reasonably take, well inside the item's 30-minute lease, before the reviewer is asked to
 * retry by hand. The reviewer keeps judging meanwhile; each pending save retries on its own.
 */
const BUSY_RETRY_FOR_MS = 20 * 60_000;
const retryDelayMs = (response: Response) => 1000 * Math.min(10, Math.max(1, Number(response.headers.get("Retry-After")) || 2));

/**
 * One reviewer's session in a batch. The screen holds a queue of leased items (the one shown
 * and the next, already loaded); submitting shows the next item at once and saves in the
 * background. Each write carries a client id, so a retried or doubled submission is stored once.
 */
export function ReviewSession({
  batch,
  initialQueue,
  initialProgress,
  initialGuidelinesOpen = true,
  initialPaused = null,
}: {
  batch: { id: string; name: string; status: string };
  initialQueue: AssignmentView[];
  initialProgress: ReviewProgress;
  /** Whether the batch's guidelines start open: until the reviewer collapses them. */
  initialGuidelinesOpen?: boolean;
  /** Why the reviewer is paused in this batch, when they are: no items, only the reason. */
  initialPaused?: string | null;
}) {
  const [paused, setPaused] = useState(initialPaused);
  const [queue, setQueue] = useState(initialQueue);
  const [progress, setProgress] = useState(initialProgress);
  const [editing, setEditing] = useState<AssignmentView | null>(null);
  const [editingPosition, setEditingPosition] = useState<EditingPosition | null>(null);
  const [guidelinesOpen, setGuidelinesOpen] = useState(initialGuidelinesOpen);
  const [legendOpen, setLegendOpen] = useState(true);
  const [showSkipped, setShowSkipped] = useState(false);
  const legendRef = useRef<HTMLDivElement>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  // Every write that could not be saved, oldest first, until a retry saves it: the reviewer
  // may have judged several items while the connection was down.
  const [failed, setFailed] = useState<FailedWrite[]>([]);
  const [waiting, setWaiting] = useState(0);
  const [inFlight, setInFlight] = useState(0);
  const pending = useRef(new Set<string>());
  const latestRequest = useRef(0);
  const shownAt = useRef(0);

  const current = editing ?? queue[0] ?? null;
  const currentId = current?.id;
  useEffect(() => {
    shownAt.current = performance.now();
  }, [currentId]);

  /** Sends one write; only the answer to the latest request updates the queue, so late answers cannot undo newer ones. */
  const send = useCallback(
    async (body: { intent: "judge" | "skip" | "refresh"; assignment_id?: string; judgment?: unknown }, settles?: string) => {
      const request = ++latestRequest.current;
      setInFlight((n) => n + 1);
      try {
        let response: Response;
        const started = Date.now();
        for (;;) {
          response = await fetch(`/review/${batch.id}/judge`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(body),
          });
          if (response.status !== 503 || Date.now() - started > BUSY_RETRY_FOR_MS) break;
          setWaiting((n) => n + 1);
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs(response)));
          setWaiting((n) => n - 1);
        }
        const answer = (await response.json().catch(() => null)) as (QueueAnswer & { error?: { message: string } }) | null;
        if (settles) pending.current.delete(settles);
        if (!response.ok || !answer || answer.error) {
          const message = answer?.error?.message ?? `the server answered ${response.status}`;
          setFailed((list) => [...list.filter((f) => f.body !== body), { body, message }]);
          return;
        }
        setFailed((list) => list.filter((f) => f.body !== body));
        if (answer.paused) {
          // The items held ahead were given back when the pause began; none is shown again.
          setPaused(answer.paused);
          setQueue([]);
          setEditing(null);
          return;
        }
        if (request === latestRequest.current) {
          setQueue(answer.queue.filter((view) => !pending.current.has(view.id)));
          // An empty queue from the server means nothing is left for this reviewer.
          setProgress((p) => ({ ...p, mine: answer.mine, left: answer.queue.length === 0 ? 0 : Math.max(p.left, answer.queue.length) }));
        }
      } catch {
        setFailed((list) => [...list.filter((f) => f.body !== body), { body, message: "the connection to the server was lost" }]);
      } finally {
        setInFlight((n) => n - 1);
      }
    },
    [batch.id],
  );

  const submit = useCallback(
    (draft: JudgingSubmission) => {
      if (!current) return;
      const input = judgmentInputSchema.safeParse({ ...draft, client_id: crypto.randomUUID(), duration_ms: Math.round(performance.now() - shownAt.current) });
      if (!input.success) {
        setFieldErrors(Object.fromEntries(input.error.issues.map((i) => [i.path.join(".") || "input", i.message])));
        return;
      }
      // The same checks the server runs, here first, so mistakes show before the item changes.
      const check = checkJudgment(input.data, { task: current.task, config: current.config, responseIds: current.responses.map((r) => r.id) });
      if (!check.ok) {
        setFieldErrors(check.fields);
        return;
      }
      setFieldErrors({});
      if (editing) setEditing(null);
      else {
        pending.current.add(current.id);
        setQueue((q) => q.filter((view) => view.id !== current.id));
        setProgress((p) => ({ ...p, mine: p.mine + 1, left: Math.max(0, p.left - 1), judgments: p.judgments + 1 }));
      }
      void send({ intent: "judge", assignment_id: current.id, judgment: input.data }, editing ? undefined : current.id);
    },
    [current, editing, send],
  );

  const skip = useCallback(() => {
    if (!current || editing) return;
    pending.current.add(current.id);
    setQueue((q) => q.filter((view) => view.id !== current.id));
    setProgress((p) => ({ ...p, left: Math.max(0, p.left - 1), skipped: p.skipped + 1 }));
    void send({ intent: "skip", assignment_id: current.id }, current.id);
  }, [current, editing, send]);

  const back = useCallback(async () => {
    const before = editing?.id ?? "";
    const response = await fetch(`/review/${batch.id}/previous?before=${encodeURIComponent(before)}`);
    const answer = (await response.json().catch(() => null)) as { assignment: AssignmentView | null; editing: EditingPosition | null } | null;
    if (answer?.assignment) {
      setFieldErrors({});
      setEditing(answer.assignment);
      setEditingPosition(answer.editing);
    }
  }, [batch.id, editing]);

  /** Leases a skipped item to the reviewer again and shows it next; the server's refusal comes back as a message. */
  const takeBack = useCallback(
    async (assignmentId: string): Promise<string | null> => {
      try {
        const response = await fetch(`/review/${batch.id}/judge`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ intent: "take-back", assignment_id: assignmentId }),
        });
        const answer = (await response.json().catch(() => null)) as { assignment?: AssignmentView; error?: { message: string } } | null;
        if (!response.ok || !answer?.assignment) return answer?.error?.message ?? `the server answered ${response.status}`;
        const taken = answer.assignment;
        setEditing(null);
        setQueue((q) => [taken, ...q.filter((view) => view.id !== taken.id)]);
        setProgress((p) => ({ ...p, left: p.left + 1, skipped: Math.max(0, p.skipped - 1) }));
        setShowSkipped(false);
        return null;
      } catch {
        return "the connection to the server was lost";
      }
    },
    [batch.id],
  );

  const toggleGuidelines = useCallback(() => {
    const open = !guidelinesOpen;
    setGuidelinesOpen(open);
    // Remembered per batch on the server; losing this write costs only the preference.
    void fetch(`/review/${batch.id}/judge`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ intent: "guidelines", collapsed: !open }),
    }).catch(() => undefined);
  }, [batch.id, guidelinesOpen]);

  // Opened by the reviewer (not on load), the legend below the screen is scrolled into view.
  const legendOpened = useRef(false);
  const toggleLegend = useCallback(() => {
    legendOpened.current = !legendOpen;
    setLegendOpen(!legendOpen);
  }, [legendOpen]);
  useEffect(() => {
    if (legendOpen && legendOpened.current) legendRef.current?.scrollIntoView?.({ block: "nearest" });
    legendOpened.current = false;
  }, [legendOpen]);

  return (
    <div className="review-session">
      <div className="review-screen">
        <div className="review-header">
          <h1>{batch.name}</h1>
          <Link to="/review" className="muted">
            All my batches
          </Link>
          {progress.skipped > 0 && (
            <button type="button" className="link-button small skipped-toggle" aria-expanded={showSkipped} onClick={() => setShowSkipped((v) => !v)}>
              Skipped by you: {formatFigure(progress.skipped, "count")}
            </button>
          )}
        </div>
        {showSkipped && <SkippedItems batchId={batch.id} count={progress.skipped} onTakeBack={takeBack} onClose={() => setShowSkipped(false)} />}
        {failed.length > 0 && (
          <div className="notice failure" role="alert">
            <p>
              {failed.length === 1 ? "Your last change was not saved" : `${failed.length} of your changes were not saved`}: {failed.at(-1)!.message}.
            </p>
            <button type="button" onClick={() => failed.forEach((f) => void send(f.body as { intent: "judge" }))}>
              Try again
            </button>
          </div>
        )}
        {waiting > 0 && failed.length === 0 && (
          <p className="notice" role="status">
            The server is busy with another write (a large import, perhaps). Your work is kept here and will be saved in a moment.
          </p>
        )}
        {paused ? (
          <section className="panel" role="alert" data-paused>
            <h2>You are paused in this batch</h2>
            <p>{paused}</p>
            <p>
              <Link to="/review">Back to my batches</Link>
            </p>
          </section>
        ) : current ? (
          <div className="judging-item" data-assignment-id={current.id} data-task={current.task}>
            <JudgingForm
              assignment={current}
              progress={progress}
              onSubmit={submit}
              onSkip={skip}
              onBack={() => void back()}
              canGoBack={progress.mine > 0}
              submitting={false}
              error={null}
              fieldErrors={fieldErrors}
              editing={editing ? editingPosition : null}
              onCancelEditing={editing ? () => setEditing(null) : undefined}
              guidelinesOpen={guidelinesOpen}
              onToggleGuidelines={toggleGuidelines}
              legendOpen={legendOpen}
              onToggleLegend={toggleLegend}
            />
          </div>
        ) : inFlight > 0 ? (
          <p className="panel muted" role="status">
            Loading the next item…
          </p>
        ) : progress.left > 0 ? (
          <p className="panel" role="status">
            Items may be waiting for you.{" "}
            <button type="button" onClick={() => void send({ intent: "refresh" })}>
              Load the next item
            </button>
          </p>
        ) : (
          <section className="panel batch-done" role="status">
            <h2>This batch is done for you</h2>
            <p>
              You judged {formatFigure(progress.mine, "count")} item{progress.mine === 1 ? "" : "s"}; nothing else is waiting for you here. Thank you!
            </p>
            {progress.skipped > 0 && !showSkipped && (
              <p>
                You skipped {formatFigure(progress.skipped, "count")} item{progress.skipped === 1 ? "" : "s"}; other reviewers of the batch may take{" "}
                {progress.skipped === 1 ? "it" : "them"}, or{" "}
                <button type="button" className="link-button" onClick={() => setShowSkipped(true)}>
                  take one back
                </button>
                .
              </p>
            )}
            <p>
              <Link to="/review">Back to my batches</Link>
              {progress.mine > 0 && (
                <>
                  {" · "}
                  <button type="button" className="link-button" onClick={() => void back()}>
                    Review my last judgment
                  </button>
                </>
              )}
            </p>
          </section>
        )}
      </div>
      {current && (
        <div ref={legendRef} className="key-legend-slot">
          <KeyLegend
            task={current.task}
            scale={current.config.scale}
            flags={current.config.flags}
            tiers={current.responses.length}
            scoreRange={{ min: Math.min(...current.config.aspects.map((a) => a.min)), max: Math.max(...current.config.aspects.map((a) => a.max)) }}
            unsupportedClaims={current.config.unsupportedClaims}
            open={legendOpen}
            onToggle={toggleLegend}
          />
        </div>
      )}
    </div>
  );
}
