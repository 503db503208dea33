import { useId, type ReactNode } from "react";
import type { Aspect } from "~/core/tasks/config";
import type { ViewResponse } from "~/core/tasks/view";
import { ResponseCard } from "./response-card";
import { responseLetter } from "./state";

export interface RatingPaneProps {
  /** The responses in display order. */
  responses: readonly ViewResponse[];
  /** The rubric (config.aspects): one row of radio buttons min..max each. */
  aspects: readonly Aspect[];
  /** Response id → aspect key → score. */
  scores: Readonly<Record<string, Readonly<Record<string, number>>>>;
  onSetScore(responseId: string, aspectKey: string, score: number): void;
  /** The response and aspect (index into aspects) keyboard actions apply to. */
  focus: number;
  aspect: number;
  onFocus(responseIndex: number, aspectIndex?: number): void;
  renderFooter?: (response: ViewResponse, index: number) => ReactNode;
  cardRef?: (index: number, element: HTMLElement | null) => void;
  error?: string | null;
  disabled?: boolean;
}

/** Responses stacked, each with the rubric's aspects as rows of radio buttons. */
export function RatingPane(props: RatingPaneProps) {
  const { responses, aspects, scores, onSetScore, focus, aspect, onFocus, renderFooter, cardRef, error, disabled } = props;
  const id = useId();
  return (
    <div className="rating-pane">
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
      <div className="stack">
        {responses.map((response, i) => {
          const letter = responseLetter(i);
          return (
            <ResponseCard
              key={response.id}
              response={response}
              index={i}
              focused={focus === i}
              onFocus={onFocus}
              cardRef={cardRef ? (el) => cardRef(i, el) : undefined}
              footer={renderFooter?.(response, i)}
              className="stack-card"
              aside={
                <div className="aspects">
                  {aspects.map((a, k) => {
                    const value = scores[response.id]?.[a.key];
                    const points = Array.from({ length: a.max - a.min + 1 }, (_, n) => a.min + n);
                    const active = focus === i && aspect === k;
                    return (
                      <div
                        key={a.key}
                        className={["aspect-row", active ? "active" : "", value === undefined ? "unscored" : ""].filter(Boolean).join(" ")}
                        role="radiogroup"
                        aria-label={`${a.label} for Response ${letter}, ${a.min} to ${a.max}`}
                        aria-required={true}
                        onFocus={(e) => {
                          e.stopPropagation();
                          onFocus(i, k);
                        }}
                        onMouseDown={(e) => {
                          e.stopPropagation();
                          onFocus(i, k);
                        }}
                      >
                        <span className="aspect-label" aria-hidden="true">
                          {a.label}
                        </span>
                        <span className="aspect-points">
                          {points.map((p) => (
                            <label key={p} className={value === p ? "aspect-point checked" : "aspect-point"}>
                              <input
                                type="radio"
                                name={`${id}-${i}-${a.key}`}
                                value={p}
                                checked={value === p}
                                disabled={disabled}
                                onChange={() => onSetScore(response.id, a.key, p)}
                                aria-label={`${a.label} ${p} for Response ${letter}`}
                                aria-keyshortcuts={active && p >= 0 && p <= 9 ? String(p) : undefined}
                              />
                              <span aria-hidden="true">{p}</span>
                            </label>
                          ))}
                        </span>
                      </div>
                    );
                  })}
                </div>
              }
            />
          );
        })}
      </div>
    </div>
  );
}
