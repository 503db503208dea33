import { useId, useMemo, type ReactNode } from "react";
import type { BatchConfig } from "~/core/tasks/config";
import type { ViewResponse } from "~/core/tasks/view";
import { ResponseCard } from "./response-card";
import { scaleOptions } from "./state";
import { diffSide, wordOverlap, type DiffOp } from "./word-diff";

export interface PairwisePaneProps {
  /** The two responses in display order: A (left) then B (right). */
  responses: readonly ViewResponse[];
  /** The word diff of the two texts as displayed, shown instead of the rendered markdown; null for markdown. */
  diff: readonly DiffOp[] | null;
  /** The response keyboard flag actions apply to (0 = A, 1 = B). */
  focus: number;
  onFocusResponse(index: number): void;
  /** Rendered under each response (the flags editor). */
  renderFooter?: (response: ViewResponse, index: number) => ReactNode;
  cardRef?: (index: number, element: HTMLElement | null) => void;
  /** "Model" in an arena: the cards read "Model A", "Model B". */
  noun?: string;
}

export interface PreferenceScaleProps {
  /** The two responses in display order, for the word-overlap hint. */
  responses: readonly ViewResponse[];
  scale: BatchConfig["scale"];
  /** The chosen scale point (index into scaleOptions(scale)), or null. */
  choice: number | null;
  onChoose(choice: number): void;
  bothBad: boolean;
  onToggleBothBad(): void;
  showDiff: boolean;
  onToggleDiff(): void;
  /** Share of words the two responses have in common, while the diff is shown. */
  shared: number | null;
  /** A message about the preference (missing, or the server's), shown next to the scale. */
  error?: string | null;
  disabled?: boolean;
}

/** Word overlap above which the pane suggests the diff view. */
const NEAR_IDENTICAL = 0.8;

function DiffText({ segments }: { segments: { text: string; changed: boolean }[] }) {
  return (
    <pre className="diff-text">
      {segments.map((s, i) =>
        s.changed ? (
          <mark key={i} className="diff-changed">
            {s.text}
          </mark>
        ) : (
          <span key={i}>{s.text}</span>
        ),
      )}
    </pre>
  );
}

/** The two responses side by side (stacked on a phone), as rendered markdown or as a word diff. */
export function PairwisePane({ responses, diff, focus, onFocusResponse, renderFooter, cardRef, noun }: PairwisePaneProps) {
  const sides = diff ? [diffSide(diff, "a"), diffSide(diff, "b")] : null;
  return (
    <div className="pairwise-pane">
      <div className="pair">
        {responses.slice(0, 2).map((response, i) => (
          <ResponseCard
            key={response.id}
            response={response}
            index={i}
            focused={focus === i}
            onFocus={onFocusResponse}
            cardRef={cardRef ? (el) => cardRef(i, el) : undefined}
            body={sides ? <DiffText segments={sides[i]!} /> : undefined}
            footer={renderFooter?.(response, i)}
            className="pair-card"
            noun={noun}
          />
        ))}
      </div>
    </div>
  );
}

/** The preference scale, "Both bad" and the word-diff toggle. */
export function PreferenceScale(props: PreferenceScaleProps) {
  const { responses, scale, choice, onChoose, bothBad, onToggleBothBad, showDiff, onToggleDiff, shared, error, disabled } = props;
  const id = useId();
  const options = scaleOptions(scale);
  const a = responses[0]?.text ?? "";
  const b = responses[1]?.text ?? "";
  const overlap = useMemo(() => wordOverlap(a, b), [a, b]);
  return (
    <div className="pair-controls">
      <div
        className={error ? "scale invalid" : "scale"}
        role="radiogroup"
        aria-label="Which response is better?"
        aria-describedby={error ? `${id}-error` : undefined}
        aria-invalid={error ? true : undefined}
        aria-required={true}
      >
        {options.map((option, i) => (
          <label key={option.label} className={["scale-point", option.side === null ? "tie" : option.side === 0 ? "side-a" : "side-b", choice === i ? "checked" : ""].filter(Boolean).join(" ")}>
            <input
              type="radio"
              name={`${id}-preference`}
              value={i}
              checked={choice === i}
              disabled={disabled}
              onChange={() => onChoose(i)}
              aria-keyshortcuts={String(i + 1)}
            />
            <span className="scale-label">{option.label}</span>
            <span className="scale-short" aria-hidden="true">
              {option.side === null ? (
                <strong>Tie</strong>
              ) : (
                <>
                  <strong>{option.side === 0 ? "A" : "B"}</strong> {option.short}
                </>
              )}
            </span>
            <kbd className="key-hint" aria-hidden="true">
              {i + 1}
            </kbd>
          </label>
        ))}
      </div>
      <div className="pair-options">
        <label className="checkbox both-bad">
          <input type="checkbox" checked={bothBad} disabled={disabled} onChange={onToggleBothBad} aria-keyshortcuts="0" />
          Both bad <kbd className="key-hint" aria-hidden="true">0</kbd>
        </label>
        <label className="checkbox diff-toggle">
          <input type="checkbox" checked={showDiff} onChange={onToggleDiff} aria-keyshortcuts="D" />
          Word diff <kbd className="key-hint" aria-hidden="true">d</kbd>
          {overlap >= NEAR_IDENTICAL && !showDiff && <span className="small muted">({Math.round(overlap * 100)}% same words)</span>}
          {shared !== null && <span className="small muted">({Math.round(shared * 100)}% shared)</span>}
        </label>
      </div>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
