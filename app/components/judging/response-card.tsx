import { useId, type DragEvent, type ReactNode } from "react";
import type { ViewResponse } from "~/core/tasks/view";
import { Markdown } from "../markdown";
import { responseLetter } from "./state";

export interface ResponseCardProps {
  response: ViewResponse;
  /** Display position: 0 is "A". */
  index: number;
  /** Whether keyboard actions apply to this response. */
  focused: boolean;
  /** Called when anything inside the card gets focus or is clicked. */
  onFocus(index: number): void;
  /** Replaces the rendered markdown (the pairwise word diff). */
  body?: ReactNode;
  /** Controls beside the header (ranking's tier picker). */
  headerExtra?: ReactNode;
  /** Controls beside the body (rating's aspects). */
  aside?: ReactNode;
  /** Under the body (the flags). */
  footer?: ReactNode;
  /** The card element, so the keyboard can move focus to it. */
  cardRef?: (element: HTMLElement | null) => void;
  /** Makes the header a drag handle carrying the response id (ranking). */
  onDragStart?: (event: DragEvent<HTMLElement>) => void;
  className?: string;
  /** What the card is called before its letter: "Response" (default), "Model" in an arena. */
  noun?: string;
}

/** "Response A" for display position 0 ("Model A" with noun "Model"). */
export function responseTitle(index: number, noun = "Response"): string {
  return `${noun} ${responseLetter(index)}`;
}

/** One response: a labelled header, the text in a fixed-height box that scrolls on its own, and its controls. */
export function ResponseCard({ response, index, focused, onFocus, body, headerExtra, aside, footer, cardRef, onDragStart, className, noun }: ResponseCardProps) {
  const title = responseTitle(index, noun);
  const headingId = `${useId()}-title`;
  return (
    <article
      ref={cardRef}
      className={["response-card", focused ? "focused" : "", className ?? ""].filter(Boolean).join(" ")}
      aria-labelledby={headingId}
      aria-current={focused ? "true" : undefined}
      tabIndex={-1}
      data-response={response.id}
      onFocus={() => onFocus(index)}
      onMouseDown={() => onFocus(index)}
    >
      <header className="response-head" draggable={onDragStart ? true : undefined} onDragStart={onDragStart}>
        {onDragStart && (
          <span className="drag-handle" aria-hidden="true" title="Drag to a tier">
            ⠿
          </span>
        )}
        <h3 id={headingId} className="response-title">
          {title}
        </h3>
        {response.model !== undefined && response.model !== "" && <span className="response-model small muted">{response.model}</span>}
        {headerExtra && <div className="response-head-extra">{headerExtra}</div>}
      </header>
      <div className={aside ? "response-main with-aside" : "response-main"}>
        {/* data-response-text: where selected words count as this response's (marking unsupported claims, selection.ts). */}
        <div className="response-body" tabIndex={0} role="region" aria-label={`Text of ${title}`} data-response-text={response.id}>
          {body ?? <Markdown text={response.text} />}
        </div>
        {aside && <div className="response-aside">{aside}</div>}
      </div>
      {footer && <div className="response-foot">{footer}</div>}
    </article>
  );
}
