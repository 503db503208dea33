import { Link } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import type { ReviewerConfig } from "~/core/tasks/view";
import { checkJudgment, judgmentInputSchema } from "~/core/tasks/judgment";
import type { AssignmentView, ViewResponse } from "~/core/tasks/view";
import { formatFigure } from "~/core/figures";
import { JudgingForm } from "./judging/judging-form";
import { KeyLegend } from "./judging/key-legend";
import { PairwisePane } from "./judging/pairwise-pane";
import type { JudgingSubmission } from "./judging/state";

/** What the battle stream sends, one JSON object a line (app/services/arena.server.ts BattleEvent). */
type BattleEvent =
  | { type: "battle"; battle: string; responses: [{ id: string }, { id: string }] }
  | { type: "delta"; side: 0 | 1; text: string }
  | { type: "done"; side: 0 | 1 }
  | { type: "error"; message: string }
  | { type: "ready"; battle: string };

type Phase = "compose" | "streaming" | "judging" | "saving" | "revealed";

interface Battle {
  id: string;
  prompt: string;
  responses: ViewResponse[];
  done: [boolean, boolean];
}

const emptyProgress = (mine: number) => ({ mine, left: 1, skipped: 0, items: 0, judgments: 0, needed: 0 });

/**
 * The arena: the reviewer writes a prompt, two anonymous models answer side by side as their
 * text streams in, the reviewer judges them with the batch's scale (the normal judging form
 * and keys), and the names are shown after the vote. Nothing is stored until the vote.
 */
export function ArenaSession({ batch, config, initialVotes }: { batch: { id: string; name: string }; config: ReviewerConfig; initialVotes: number }) {
  const [phase, setPhase] = useState<Phase>("compose");
  const [prompt, setPrompt] = useState("");
  const [battle, setBattle] = useState<Battle | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [reveal, setReveal] = useState<{ a: string; b: string } | null>(null);
  const [votes, setVotes] = useState(initialVotes);
  const [legendOpen, setLegendOpen] = useState(false);
  const shownAt = useRef(0);
  const abort = useRef<AbortController | null>(null);
  const promptRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => {
    if (phase === "compose") promptRef.current?.focus();
  }, [phase]);

  const send = useCallback(async () => {
    const text = prompt.trim();
    if (!text) {
      setError("Write a prompt first.");
      return;
    }
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setError(null);
    setFieldErrors({});
    setReveal(null);
    setBattle(null);
    setPhase("streaming");
    try {
      const response = await fetch(`/review/${batch.id}/arena`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ intent: "send", prompt: text }),
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        const answer = (await response.json().catch(() => null)) as { error?: { message: string } } | null;
        throw new Error(answer?.error?.message ?? `the server answered ${response.status}`);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let outcome: "ready" | "error" | null = null;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) {
          if (!line.trim()) continue;
          const event = JSON.parse(line) as BattleEvent;
          if (event.type === "battle") {
            setBattle({ id: event.battle, prompt: text, responses: event.responses.map((r) => ({ id: r.id, external_id: "", text: "" })), done: [false, false] });
          } else if (event.type === "delta") {
            setBattle((b) => b && { ...b, responses: b.responses.map((r, i) => (i === event.side ? { ...r, text: r.text + event.text } : r)) });
          } else if (event.type === "done") {
            setBattle((b) => b && { ...b, done: b.done.map((d, i) => d || i === event.side) as [boolean, boolean] });
          } else if (event.type === "error") {
            outcome = "error";
            setError(event.message);
          } else if (event.type === "ready") {
            outcome = "ready";
          }
        }
      }
      if (outcome === "ready") {
        shownAt.current = performance.now();
        setPhase("judging");
      } else {
        if (outcome === null) setError("The connection to the server was lost before both models finished. Nothing was stored; send the prompt again.");
        setPhase("compose");
      }
    } catch (thrown) {
      if (controller.signal.aborted) return;
      setError(`${thrown instanceof Error && thrown.message !== "Failed to fetch" ? thrown.message : "the connection to the server was lost"}. Nothing was stored.`);
      setPhase("compose");
    }
  }, [batch.id, prompt]);

  const vote = useCallback(
    async (draft: JudgingSubmission) => {
      if (!battle || phase !== "judging") return;
      const input = judgmentInputSchema.safeParse({ ...draft, client_id: crypto.randomUUID(), duration_ms: Math.round(performance.now() - shownAt.current) });
      if (!input.success) {
        setFieldErrors(Object.fromEntries(input.error.issues.map((i) => [i.path.join(".") || "input", i.message])));
        return;
      }
      const check = checkJudgment(input.data, { task: "pairwise", config, responseIds: battle.responses.map((r) => r.id) });
      if (!check.ok) {
        setFieldErrors(check.fields);
        return;
      }
      setFieldErrors({});
      setPhase("saving");
      try {
        const response = await fetch(`/review/${batch.id}/arena`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ intent: "vote", battle: battle.id, judgment: input.data }),
        });
        const answer = (await response.json().catch(() => null)) as { reveal?: { a: string; b: string }; error?: { message: string; details?: { fields?: Record<string, string> } } } | null;
        if (!response.ok || !answer?.reveal) {
          setError(`Your vote was not saved: ${answer?.error?.message ?? `the server answered ${response.status}`}.`);
          if (answer?.error?.details?.fields) setFieldErrors(answer.error.details.fields);
          setPhase("judging");
          return;
        }
        setError(null);
        setReveal(answer.reveal);
        setVotes((n) => n + 1);
        setPrompt("");
        setPhase("revealed");
      } catch {
        setError("Your vote was not saved: the connection to the server was lost. Try again.");
        setPhase("judging");
      }
    },
    [batch.id, battle, config, phase],
  );

  const newPrompt = useCallback(() => {
    setBattle(null);
    setReveal(null);
    setError(null);
    setPhase("compose");
  }, []);

  useEffect(() => {
    if (phase !== "revealed") return;
    const listener = (event: KeyboardEvent) => {
      if (event.key === "n" && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        newPrompt();
      }
    };
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, [phase, newPrompt]);

  const view: AssignmentView | null = battle && {
    id: battle.id,
    item_id: "",
    batch_id: batch.id,
    task: "pairwise",
    config,
    prompt: { id: "", external_id: "", messages: [{ role: "user", content: battle.prompt }], reference: null, context: [] },
    responses: battle.responses,
    lease_expires_at: 0,
  };
  const streamingStatus = battle ? battle.done.map((d, i) => `Model ${i === 0 ? "A" : "B"} ${d ? "finished" : "is answering…"}`).join(" · ") : "Asking two models…";
  const composing = phase === "compose" || phase === "streaming" || phase === "revealed";

  return (
    <div className="review-session arena-session">
      <div className="review-screen">
        <div className="review-header">
          <h1>{batch.name}</h1>
          <span className="small muted">Arena · your votes: {formatFigure(votes, "count")}</span>
          <Link to="/review" className="muted">
            All my batches
          </Link>
        </div>
        {error && (
          <div className="notice failure" role="alert">
            <p>{error}</p>
            {phase === "compose" && prompt.trim() !== "" && (
              <button type="button" onClick={() => void send()}>
                Try again
              </button>
            )}
          </div>
        )}
        {phase === "revealed" && reveal && battle && (
          <section className="arena-reveal" aria-label="The models revealed">
            <p className="notice" role="status">
              Vote saved. <strong>Model A</strong> was <strong className="reveal-a">{reveal.a}</strong>, <strong>Model B</strong> was <strong className="reveal-b">{reveal.b}</strong>.
            </p>
            <PairwisePane
              responses={battle.responses.map((r, i) => ({ ...r, model: i === 0 ? reveal.a : reveal.b }))}
              diff={null}
              focus={-1}
              onFocusResponse={() => {}}
              noun="Model"
            />
            <p>
              <button type="button" className="primary" onClick={newPrompt} aria-keyshortcuts="N">
                New prompt <kbd className="key-hint" aria-hidden="true">n</kbd>
              </button>
            </p>
          </section>
        )}
        {(phase === "compose" || phase === "streaming") && (
          <form
            className="arena-compose panel"
            onSubmit={(event) => {
              event.preventDefault();
              void send();
            }}
          >
            <label htmlFor="arena-prompt">Your prompt</label>
            <textarea
              id="arena-prompt"
              ref={promptRef}
              name="prompt"
              rows={4}
              value={prompt}
              disabled={phase === "streaming"}
              onChange={(event) => setPrompt(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                  event.preventDefault();
                  void send();
                }
              }}
              placeholder="Ask anything; two anonymous models answer side by side."
            />
            <div className="arena-compose-actions">
              <button type="submit" className="primary" disabled={phase === "streaming"} aria-keyshortcuts="Control+Enter Meta+Enter">
                {phase === "streaming" ? "Models are answering…" : "Send"} <kbd className="key-hint" aria-hidden="true">Ctrl+Enter</kbd>
              </button>
              <span className="small muted">The names are shown after your vote.</span>
            </div>
          </form>
        )}
        {phase === "streaming" && (
          <section className="arena-streaming" aria-label="The answers" aria-busy="true">
            <p className="small muted" role="status">
              {streamingStatus}
            </p>
            {battle && <PairwisePane responses={battle.responses} diff={null} focus={-1} onFocusResponse={() => {}} noun="Model" />}
          </section>
        )}
        {(phase === "judging" || phase === "saving") && view && (
          <div className="judging-item" data-task="pairwise">
            <JudgingForm
              assignment={view}
              progress={emptyProgress(votes)}
              onSubmit={(draft) => void vote(draft)}
              onSkip={newPrompt}
              onBack={() => {}}
              canGoBack={false}
              submitting={phase === "saving"}
              fieldErrors={fieldErrors}
              legendOpen={legendOpen}
              onToggleLegend={() => setLegendOpen((v) => !v)}
              responseNoun="Model"
              countText="Which answer is better?"
            />
          </div>
        )}
        {composing && votes === 0 && phase === "compose" && !error && <p className="muted small">Each vote adds your prompt, both answers and your judgment to the batch.</p>}
      </div>
      {(phase === "judging" || phase === "saving") && (
        <div className="key-legend-slot">
          <KeyLegend task="pairwise" scale={config.scale} flags={config.flags} open={legendOpen} onToggle={() => setLegendOpen((v) => !v)} />
        </div>
      )}
    </div>
  );
}
