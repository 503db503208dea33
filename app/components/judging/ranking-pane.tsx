import { useId, useState, type DragEvent, type ReactNode } from "react";
import type { ViewResponse } from "~/core/tasks/view";
import { ResponseCard } from "./response-card";
import { responseLetter } from "./state";

export interface RankingPaneProps {
  /** The responses in display order (at most 9). */
  responses: readonly ViewResponse[];
  /** Response id → tier (1 = best); absent while unplaced. Responses in one tier are tied. */
  tierOf: Readonly<Record<string, number>>;
  onSetTier(responseId: string, tier: number | null): void;
  /** Number of tiers offered; the number of responses by default. */
  tierCount?: number;
  /** The response keyboard actions apply to. */
  focus: number;
  onFocusResponse(index: number): void;
  renderFooter?: (response: ViewResponse, index: number) => ReactNode;
  cardRef?: (index: number, element: HTMLElement | null) => void;
  error?: string | null;
  disabled?: boolean;
}

const DRAG_TYPE = "application/x-verdict-response";

/**
 * Responses stacked, each placed in a tier 1..K with its radio group (or the keyboard), and a
 * board of tiers beside them whose chips can be dragged between tiers.
 */
export function RankingPane(props: RankingPaneProps) {
  const { responses, tierOf, onSetTier, focus, onFocusResponse, renderFooter, cardRef, error, disabled } = props;
  const tierCount = props.tierCount ?? responses.length;
  const id = useId();
  const [dropTarget, setDropTarget] = useState<number | null>(null);
  const tiers = Array.from({ length: tierCount }, (_, i) => i + 1);
  const ids = new Set(responses.map((r) => r.id));

  const startDrag = (responseId: string) => (event: DragEvent<HTMLElement>) => {
    event.dataTransfer.setData(DRAG_TYPE, responseId);
    event.dataTransfer.setData("text/plain", responseId);
    event.dataTransfer.effectAllowed = "move";
  };
  const dropZone = (tier: number | null) => ({
    onDragOver: (event: DragEvent<HTMLElement>) => {
      if (disabled) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      if (dropTarget !== (tier ?? 0)) setDropTarget(tier ?? 0);
    },
    onDragLeave: () => setDropTarget(null),
    onDrop: (event: DragEvent<HTMLElement>) => {
      event.preventDefault();
      setDropTarget(null);
      const responseId = event.dataTransfer.getData(DRAG_TYPE) || event.dataTransfer.getData("text/plain");
      if (!disabled && ids.has(responseId)) onSetTier(responseId, tier);
    },
  });

  const chip = (response: ViewResponse) => {
    const index = responses.indexOf(response);
    return (
      <li
        key={response.id}
        className={focus === index ? "tier-chip focused" : "tier-chip"}
        draggable={!disabled}
        onDragStart={startDrag(response.id)}
        onClick={() => onFocusResponse(index)}
        title={`Response ${responseLetter(index)}: drag to another tier`}
      >
        {responseLetter(index)}
      </li>
    );
  };
  const unplaced = responses.filter((r) => tierOf[r.id] === undefined);

  return (
    <div className="ranking-pane">
      <aside className={error ? "tier-board invalid" : "tier-board"} aria-label="Tiers" aria-describedby={error ? `${id}-error` : undefined}>
        <p className="small muted tier-board-help">Best first; responses in one tier are tied. Drag letters between tiers.</p>
        {tiers.map((tier) => (
          <div key={tier} className={dropTarget === tier ? "tier-row drop" : "tier-row"} {...dropZone(tier)}>
            <span className="tier-name">
              Tier {tier}
              {tier === 1 ? <span className="muted small"> · best</span> : null}
            </span>
            <ul className="tier-chips" aria-label={`Tier ${tier}`}>
              {responses.filter((r) => tierOf[r.id] === tier).map(chip)}
            </ul>
          </div>
        ))}
        <div className={dropTarget === 0 ? "tier-row unplaced drop" : "tier-row unplaced"} {...dropZone(null)}>
          <span className="tier-name muted">Not placed</span>
          <ul className="tier-chips" aria-label="Not placed">
            {unplaced.map(chip)}
          </ul>
        </div>
        {error && (
          <p className="field-error" id={`${id}-error`}>
            {error}
          </p>
        )}
      </aside>

      <div className="stack">
        {responses.map((response, i) => {
          const letter = responseLetter(i);
          const current = tierOf[response.id];
          return (
            <ResponseCard
              key={response.id}
              response={response}
              index={i}
              focused={focus === i}
              onFocus={onFocusResponse}
              cardRef={cardRef ? (el) => cardRef(i, el) : undefined}
              onDragStart={disabled ? undefined : startDrag(response.id)}
              footer={renderFooter?.(response, i)}
              className="stack-card"
              headerExtra={
                <div className="tier-picker" role="radiogroup" aria-label={`Tier for Response ${letter}`} aria-required={true}>
                  <span className="small muted" aria-hidden="true">
                    Tier
                  </span>
                  {tiers.map((tier) => (
                    <label key={tier} className={current === tier ? "tier-option checked" : "tier-option"}>
                      <input
                        type="radio"
                        name={`${id}-tier-${i}`}
                        value={tier}
                        checked={current === tier}
                        disabled={disabled}
                        onChange={() => onSetTier(response.id, tier)}
                        aria-label={`Tier ${tier}${tier === 1 ? " (best)" : ""} for Response ${letter}`}
                        aria-keyshortcuts={tier <= 9 ? String(tier) : undefined}
                      />
                      <span aria-hidden="true">{tier}</span>
                    </label>
                  ))}
                  {/* Always rendered (hidden while unplaced) so the header does not shift. */}
                  <button
                    type="button"
                    className="link-button small tier-clear"
                    disabled={disabled || current === undefined}
                    onClick={() => onSetTier(response.id, null)}
                    aria-label={`Take Response ${letter} out of its tier`}
                    aria-keyshortcuts="0"
                  >
                    clear
                  </button>
                </div>
              }
            />
          );
        })}
      </div>
    </div>
  );
}
