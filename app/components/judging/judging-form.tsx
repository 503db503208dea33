import { useEffect, useId, useMemo, useReducer, useRef, useState, type Dispatch, type RefObject } from "react";
import type { AssignmentView, ReviewProgress, ViewResponse } from "~/core/tasks/view";
import { Markdown, markdownText } from "../markdown";
import { Conversation } from "./conversation";
import { FlagsEditor } from "./flags-editor";
import { PairwisePane, PreferenceScale } from "./pairwise-pane";
import { RankingPane } from "./ranking-pane";
import { RatingPane } from "./rating-pane";
import { RationaleBox } from "./rationale-box";
import { responseTitle } from "./response-card";
import { clearSelection, selectionInResponse } from "./selection";
import { SourcesPanel } from "./sources-panel";
import { similarity, wordDiff } from "./word-diff";
import {
  buildSubmission,
  initialState,
  judgingReducer,
  missingParts,
  nextUnplaced,
  scaleOptions,
  type JudgingAction,
  type JudgingState,
  type JudgingSubmission,
} from "./state";
import { formatFigure } from "~/core/figures";

/** Where an item being edited sits among the reviewer's judgments in the batch (1 = their first). */
export interface EditingPosition {
  position: number;
  of: number;
}

export interface JudgingFormProps {
  assignment: AssignmentView;
  progress: ReviewProgress;
  /** The judgment, complete and checked against the batch's rules; the caller adds client_id and duration_ms. */
  onSubmit(input: JudgingSubmission): void;
  onSkip(): void;
  onBack(): void;
  canGoBack: boolean;
  /** While true the controls are disabled and the keyboard does not submit, skip or go back. */
  submitting: boolean;
  /** A message for the whole form (e.g. the lease expired, the network failed). */
  error?: string | null;
  /** The server's field errors (keys as checkJudgment gives them: preferred, strength, tiers, scores, rationale, flags.N.…). */
  fieldErrors?: Record<string, string> | null;
  /** Set while the reviewer edits an earlier judgment: which of their judgments it is. */
  editing?: EditingPosition | null;
  /** Leaves the earlier judgment unchanged and returns to the next item. */
  onCancelEditing?(): void;
  /** Whether the batch's guidelines are open; the caller remembers the reviewer's choice per batch. */
  guidelinesOpen?: boolean;
  onToggleGuidelines?(): void;
  /** The keyboard legend (rendered by the caller, below the screen) and its `?` toggle. */
  legendOpen?: boolean;
  onToggleLegend?(): void;
  /** "Model" in an arena: the responses read "Model A", "Model B". */
  responseNoun?: string;
  /** Replaces the "N of M in this batch" count (an arena has no fixed number of items). */
  countText?: string;
}

const TASK_TITLE = { pairwise: "Compare two responses", ranking: "Rank the responses", rating: "Rate each response" } as const;

/**
 * The judging screen's body for one assignment: progress, the prompt beside its sources of
 * truth (reference answer, context documents) and the guidelines, the responses and the
 * task's controls, flags, rationale and actions. The judgment in progress lives in
 * JudgingItem, keyed by the assignment id so a new item starts afresh; what outlasts an item
 * (earlier turns shown, diff view on) lives here.
 */
export function JudgingForm(props: JudgingFormProps) {
  const { assignment, progress, editing, onCancelEditing, guidelinesOpen = true, onToggleGuidelines, legendOpen = false, onToggleLegend } = props;
  const [showDiff, setShowDiff] = useState(false);
  const [showEarlier, setShowEarlier] = useState(false);
  const guidelinesId = useId();
  const total = progress.mine + progress.left;
  const config = assignment.config;
  const hasGuidelines = config.guidelines.trim() !== "";
  const hasSources = Boolean(assignment.prompt.reference) || (assignment.prompt.context?.length ?? 0) > 0;
  const contextClass = ["judging-context", hasGuidelines && guidelinesOpen ? "with-guidelines" : "", hasSources ? "with-sources" : ""].filter(Boolean).join(" ");
  const toggleLegend = onToggleLegend ?? (() => {});

  return (
    <div className="judging" data-task={assignment.task}>
      <div className="judging-top">
        <div className="judging-progress" role="status" aria-live="polite">
          {assignment.judgment ? (
            <span className="judging-count editing-count">
              {editing
                ? `Editing your judgment ${formatFigure(editing.position, "count")} of ${formatFigure(editing.of, "count")}`
                : "Editing your earlier judgment"}
              {onCancelEditing && (
                <>
                  {" · "}
                  <button type="button" className="link-button" onClick={onCancelEditing}>
                    Cancel and return to item {formatFigure(Math.min(progress.mine + 1, Math.max(total, 1)), "count")}
                  </button>
                </>
              )}
            </span>
          ) : props.countText !== undefined ? (
            <span className="judging-count">{props.countText}</span>
          ) : (
            <span className="judging-count">
              {formatFigure(Math.min(progress.mine + 1, Math.max(total, 1)), "count")} of {formatFigure(total, "count")} in this batch
            </span>
          )}
          {props.countText === undefined && <progress value={progress.mine} max={Math.max(total, 1)} aria-label="Your progress in this batch" />}
          <span className="small muted task-name">{TASK_TITLE[assignment.task]}</span>
        </div>
        <div className="judging-top-actions">
          {hasGuidelines && (
            <button type="button" className="link-button small" aria-expanded={guidelinesOpen} aria-controls={guidelinesId} onClick={onToggleGuidelines}>
              {guidelinesOpen ? "Hide guidelines" : "Show guidelines"}
            </button>
          )}
          <button type="button" className="link-button small shortcuts-toggle" aria-expanded={legendOpen} aria-keyshortcuts="?" onClick={toggleLegend}>
            Keyboard shortcuts (?)
          </button>
        </div>
      </div>

      <div className={contextClass}>
        <Conversation key={assignment.id} messages={assignment.prompt.messages} showEarlier={showEarlier} onToggleEarlier={() => setShowEarlier((v) => !v)} />
        {/* Keyed by the item: each item's sources start open, whatever the reviewer folded on the last one. */}
        <SourcesPanel key={`sources-${assignment.id}`} reference={assignment.prompt.reference} context={assignment.prompt.context} />
        {hasGuidelines && guidelinesOpen && (
          <section className="guidelines" id={guidelinesId} aria-label="Guidelines">
            <div className="guidelines-scroll" tabIndex={0}>
              <p className="guidelines-title">Guidelines</p>
              <Markdown text={config.guidelines} className="guidelines-text" />
            </div>
          </section>
        )}
      </div>

      <JudgingItem key={assignment.id} {...props} showDiff={showDiff} onToggleDiff={() => setShowDiff((v) => !v)} onToggleLegend={toggleLegend} />
    </div>
  );
}

interface JudgingItemProps extends JudgingFormProps {
  showDiff: boolean;
  onToggleDiff(): void;
  onToggleLegend(): void;
}

function JudgingItem(props: JudgingItemProps) {
  const { assignment, onSubmit, onSkip, onBack, canGoBack, submitting, error, fieldErrors, showDiff, onToggleDiff, onToggleLegend } = props;
  const [state, dispatch] = useReducer(judgingReducer, assignment, initialState);
  const rationaleRef = useRef<HTMLTextAreaElement>(null);
  const cardRefs = useRef<(HTMLElement | null)[]>([]);
  const config = assignment.config;
  const [textA, textB] = [assignment.responses[0]?.text ?? "", assignment.responses[1]?.text ?? ""];
  // The diff compares the text as the reviewer reads it (no `**` or code fences), not the markdown source.
  const diff = useMemo(() => (showDiff && assignment.task === "pairwise" ? wordDiff(markdownText(textA), markdownText(textB)) : null), [showDiff, assignment.task, textA, textB]);

  // Marking unsupported claims: which response (if any) holds the reviewer's selected words,
  // so its "Mark selected words" button is enabled only while there is something to mark.
  const marking = config.unsupportedClaims;
  const [selectedIn, setSelectedIn] = useState<string | null>(null);
  useEffect(() => {
    if (!marking) return;
    const update = () => setSelectedIn(selectionInResponse()?.responseId ?? null);
    update();
    document.addEventListener("selectionchange", update);
    return () => document.removeEventListener("selectionchange", update);
  }, [marking]);

  useEffect(() => {
    const markSelection = (responseId?: string) => markSelected({ assignment, dispatch }, responseId);
    const context: KeyContext = { assignment, state, dispatch, onSubmit, onSkip, onBack, canGoBack, submitting, onToggleDiff, onToggleLegend, rationaleRef, cardRefs, markSelection };
    const listener = (event: KeyboardEvent) => handleKey(event, context);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, [assignment, state, onSubmit, onSkip, onBack, canGoBack, submitting, onToggleDiff, onToggleLegend]);

  const missing = state.attempted ? missingParts(assignment, state) : {};
  const server = fieldErrors ?? {};
  // Each missing part is said once, next to its control (the scale, the tiers, the scores, the rationale).
  const errorFor = (...keys: string[]) => keys.map((k) => server[k] ?? missing[k]).find(Boolean) ?? null;
  const shownKeys = new Set(["preferred", "strength", "both_bad", "tiers", "scores", "rationale"]);
  const otherErrors = Object.entries(server).filter(([k]) => !shownKeys.has(k));

  const setCardRef = (index: number, element: HTMLElement | null) => {
    cardRefs.current[index] = element;
  };
  const focusResponse = (index: number, aspect?: number) => {
    if (index !== state.focus || (aspect !== undefined && aspect !== state.aspect)) dispatch({ type: "focus", index, aspect });
  };
  const flagsFooter = (response: ViewResponse, index: number) => (
    <FlagsEditor
      responseId={response.id}
      responseLabel={responseTitle(index, props.responseNoun)}
      flags={config.flags}
      value={state.flags[response.id] ?? {}}
      onToggle={(flag) => dispatch({ type: "toggleFlag", responseId: response.id, flag })}
      onNoteChange={(flag, note) => dispatch({ type: "setFlagNote", responseId: response.id, flag, note })}
      showKeys
      disabled={submitting}
      actions={
        marking && (
          <button
            type="button"
            className="mark-button"
            // Pressing the button must not drop the selection it is about to mark.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => markSelected({ assignment, dispatch }, response.id)}
            // Enabled while words of this response's text are selected.
            disabled={submitting || selectedIn !== response.id}
            aria-keyshortcuts="U"
            aria-label={`Mark selected words as unsupported (${responseTitle(index, props.responseNoun)})`}
            title="Select words in the response's text, then mark them: the unsupported claim flag, with the words as its note"
          >
            Mark selected words as unsupported <kbd className="key-hint" aria-hidden="true">u</kbd>
          </button>
        )
      }
    />
  );
  const submitButton = (className: string) => (
    <button
      type="button"
      className={className}
      onClick={() => attemptSubmit({ assignment, state, dispatch, onSubmit, submitting })}
      disabled={submitting}
      aria-keyshortcuts="Enter Control+Enter Meta+Enter"
    >
      {submitting ? "Saving…" : "Submit & next"} <kbd className="key-hint" aria-hidden="true">Enter</kbd>
    </button>
  );

  return (
    <div className="judging-body">
      {assignment.task === "pairwise" && (
        <PairwisePane
          responses={assignment.responses}
          diff={diff}
          focus={state.focus}
          onFocusResponse={focusResponse}
          renderFooter={flagsFooter}
          cardRef={setCardRef}
          noun={props.responseNoun}
        />
      )}
      {assignment.task === "ranking" && (
        <RankingPane
          responses={assignment.responses}
          tierOf={state.tierOf}
          onSetTier={(responseId, tier) => dispatch({ type: "setTier", responseId, tier })}
          focus={state.focus}
          onFocusResponse={focusResponse}
          renderFooter={flagsFooter}
          cardRef={setCardRef}
          error={errorFor("tiers")}
          disabled={submitting}
        />
      )}
      {assignment.task === "rating" && (
        <RatingPane
          responses={assignment.responses}
          aspects={config.aspects}
          scores={state.scores}
          onSetScore={(responseId, aspect, score) => dispatch({ type: "setScore", responseId, aspect, score })}
          focus={state.focus}
          aspect={state.aspect}
          onFocus={focusResponse}
          renderFooter={flagsFooter}
          cardRef={setCardRef}
          error={errorFor("scores")}
          disabled={submitting}
        />
      )}

      {/* On a phone this bar sticks to the bottom of the screen: the choice and Submit stay in reach while the responses scroll. */}
      <div className={assignment.task === "pairwise" ? "choice-bar" : "choice-bar submit-only"}>
        {assignment.task === "pairwise" && (
          <PreferenceScale
            responses={assignment.responses}
            scale={config.scale}
            choice={state.choice}
            onChoose={(choice) => dispatch({ type: "choose", choice })}
            bothBad={state.bothBad}
            onToggleBothBad={() => dispatch({ type: "toggleBothBad" })}
            showDiff={showDiff}
            onToggleDiff={onToggleDiff}
            shared={diff ? similarity(diff) : null}
            error={errorFor("preferred", "strength", "both_bad")}
            disabled={submitting}
          />
        )}
        {submitButton("primary bar-submit")}
      </div>

      <div className="judging-bottom">
        <RationaleBox
          value={state.rationale}
          onChange={(rationale) => dispatch({ type: "setRationale", rationale })}
          rule={config.rationale}
          error={errorFor("rationale")}
          inputRef={rationaleRef}
          disabled={submitting}
        />
        <div className="judging-actions">
          <button type="button" onClick={onBack} disabled={!canGoBack || submitting} aria-keyshortcuts="U Backspace">
            ← Back <kbd className="key-hint" aria-hidden="true">u</kbd>
          </button>
          <button type="button" onClick={onSkip} disabled={submitting} aria-keyshortcuts="S">
            Skip <kbd className="key-hint" aria-hidden="true">s</kbd>
          </button>
          {submitButton("primary actions-submit")}
        </div>
      </div>

      {(error || otherErrors.length > 0) && (
        <div className="judging-messages" role="alert">
          {error && <p className="form-error">{error}</p>}
          {otherErrors.length > 0 && (
            <ul className="missing-list">
              {otherErrors.map(([k, m]) => (
                <li key={k}>
                  {describeField(k)}: {m}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

/** "flags.2.flag" → "Flag 3"; other keys as they are. */
function describeField(key: string): string {
  const m = /^flags\.(\d+)\./.exec(key);
  return m ? `Flag ${Number(m[1]) + 1}` : key;
}

export interface SubmitContext {
  assignment: AssignmentView;
  state: JudgingState;
  dispatch: Dispatch<JudgingAction>;
  onSubmit(input: JudgingSubmission): void;
  submitting: boolean;
}

/**
 * Marks the words selected in one of the assignment's responses (in `responseId`, when given)
 * as unsupported by the context: the unsupported_claim flag on that response with the words
 * appended to its note. False, changing nothing, when no such selection exists.
 */
function markSelected({ assignment, dispatch }: Pick<SubmitContext, "assignment" | "dispatch">, responseId?: string): boolean {
  if (!assignment.config.unsupportedClaims) return false;
  const selected = selectionInResponse();
  if (!selected || (responseId !== undefined && selected.responseId !== responseId)) return false;
  if (!assignment.responses.some((r) => r.id === selected.responseId)) return false;
  dispatch({ type: "markUnsupported", responseId: selected.responseId, selected: selected.text });
  clearSelection();
  return true;
}

/** Submits when the judgment is complete; otherwise marks it attempted so the missing parts show. */
function attemptSubmit({ assignment, state, dispatch, onSubmit, submitting }: SubmitContext): void {
  if (submitting) return;
  if (Object.keys(missingParts(assignment, state)).length > 0) {
    dispatch({ type: "attempted" });
    return;
  }
  onSubmit(buildSubmission(assignment, state));
}

/** What the keyboard handler reads and calls; exported for tests. */
export interface KeyContext extends SubmitContext {
  onSkip(): void;
  onBack(): void;
  canGoBack: boolean;
  onToggleDiff(): void;
  onToggleLegend(): void;
  rationaleRef: RefObject<HTMLTextAreaElement | null>;
  cardRefs: RefObject<(HTMLElement | null)[]>;
  /**
   * Marks the words selected in a response as unsupported (batches with unsupportedClaims);
   * true when there were such words. `u` marks them when it can and goes back otherwise.
   */
  markSelection?(): boolean;
}

const NON_TEXT_INPUTS = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"]);

/** A text box: keys typed there are text, not shortcuts. */
function isTextEntry(target: EventTarget | null): target is HTMLElement {
  if (typeof HTMLElement === "undefined" || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !NON_TEXT_INPUTS.has(target.type);
}

/** An element Enter already activates (a button, a link, a <summary>). */
function isActivatable(target: EventTarget | null): boolean {
  if (typeof HTMLElement === "undefined" || !(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement || target.tagName === "SUMMARY") return true;
  return target instanceof HTMLInputElement && ["button", "submit", "reset", "image"].includes(target.type);
}

function isRadio(target: EventTarget | null): boolean {
  return typeof HTMLInputElement !== "undefined" && target instanceof HTMLInputElement && target.type === "radio";
}

function moveFocus(context: KeyContext, index: number, aspect?: number): void {
  const count = context.assignment.responses.length;
  if (count === 0) return;
  const next = Math.max(0, Math.min(count - 1, index));
  context.dispatch({ type: "focus", index: next, aspect });
  const card = context.cardRefs.current?.[next];
  if (card && !card.contains(document.activeElement)) card.focus({ preventScroll: true });
  card?.scrollIntoView?.({ block: "nearest" });
}

/** The single keyboard handler of the judging screen (see KeyLegend for the map); exported for tests. */
export function handleKey(event: KeyboardEvent, context: KeyContext): void {
  if (event.defaultPrevented || event.isComposing) return;
  const { assignment, state, dispatch } = context;
  const key = event.key;
  const typing = isTextEntry(event.target);

  if (key === "Escape") {
    if (typing) {
      (event.target as HTMLElement).blur();
      event.preventDefault();
    } else if (state.flagPending) dispatch({ type: "flagPending", pending: false });
    return;
  }
  if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    attemptSubmit(context);
    return;
  }
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;

  const digit = /^[0-9]$/.test(key) ? Number(key) : null;
  const flags = assignment.config.flags;
  if (state.flagPending) {
    dispatch({ type: "flagPending", pending: false });
    if (digit !== null) {
      event.preventDefault();
      const flag = flags[digit - 1];
      const response = assignment.responses[state.focus];
      if (flag && response && !context.submitting) dispatch({ type: "toggleFlag", responseId: response.id, flag });
      return;
    }
  }

  const handled = (() => {
    switch (key) {
      case "Enter":
        if (isActivatable(event.target)) return false;
        attemptSubmit(context);
        return true;
      case "s":
        if (!context.submitting) context.onSkip();
        return true;
      case "u":
        // With words selected in a response (and the batch asking for it), u marks them as unsupported.
        if (assignment.config.unsupportedClaims && !context.submitting && context.markSelection?.()) return true;
        if (context.canGoBack && !context.submitting) context.onBack();
        return true;
      case "Backspace":
        if (context.canGoBack && !context.submitting) context.onBack();
        return true;
      case "?":
        context.onToggleLegend();
        return true;
      case "r":
        context.rationaleRef.current?.focus();
        return true;
      case "f":
        if (flags.length === 0) return false;
        dispatch({ type: "flagPending", pending: true });
        return true;
    }
    if (context.submitting) return false;
    const responses = assignment.responses;
    const arrowsNative = isRadio(event.target); // a focused radio group keeps its own arrow keys
    if (assignment.task === "pairwise") {
      if (key === "a" || key === "b") {
        moveFocus(context, key === "a" ? 0 : 1);
        return true;
      }
      if (key === "d") {
        context.onToggleDiff();
        return true;
      }
      if (digit === 0) {
        dispatch({ type: "toggleBothBad" });
        return true;
      }
      if (digit !== null && digit <= scaleOptions(assignment.config.scale).length) {
        dispatch({ type: "choose", choice: digit - 1 });
        return true;
      }
      return false;
    }
    const up = key === "k" || (key === "ArrowUp" && !arrowsNative);
    const down = key === "j" || (key === "ArrowDown" && !arrowsNative);
    if (up || down) {
      moveFocus(context, state.focus + (down ? 1 : -1));
      return true;
    }
    const response = responses[state.focus];
    if (!response) return false;
    if (assignment.task === "ranking") {
      if (digit === 0) {
        dispatch({ type: "setTier", responseId: response.id, tier: null });
        return true;
      }
      if (digit !== null && digit <= responses.length) {
        dispatch({ type: "setTier", responseId: response.id, tier: digit });
        // As the legend says: focus moves on to the next response not yet placed.
        const next = nextUnplaced(assignment, { ...state.tierOf, [response.id]: digit }, state.focus);
        if (next !== null) moveFocus(context, next);
        return true;
      }
      return false;
    }
    // rating
    const aspects = assignment.config.aspects;
    const left = key === "h" || (key === "ArrowLeft" && !arrowsNative);
    const right = key === "l" || (key === "ArrowRight" && !arrowsNative);
    if (left || right) {
      dispatch({ type: "focus", index: state.focus, aspect: Math.max(0, Math.min(aspects.length - 1, state.aspect + (right ? 1 : -1))) });
      return true;
    }
    const aspect = aspects[state.aspect];
    if (digit !== null && aspect && digit >= aspect.min && digit <= aspect.max) {
      dispatch({ type: "setScore", responseId: response.id, aspect: aspect.key, score: digit });
      if (state.aspect < aspects.length - 1) dispatch({ type: "focus", index: state.focus, aspect: state.aspect + 1 });
      else if (state.focus < responses.length - 1) moveFocus(context, state.focus + 1, 0);
      return true;
    }
    return false;
  })();
  if (handled) event.preventDefault();
}
