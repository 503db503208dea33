import type { BatchConfig, Task } from "~/core/tasks/config";
import { flagLabel, scaleOptions } from "./state";

export interface KeyLegendProps {
  task: Task;
  scale: BatchConfig["scale"];
  flags: readonly string[];
  /** Tiers a ranking offers (its number of responses). */
  tiers?: number;
  /** Score range of the rating aspects, for the digit hint. */
  scoreRange?: { min: number; max: number };
  /** The batch asks reviewers to mark claims not supported by the context (`u` on selected words). */
  unsupportedClaims?: boolean;
  open: boolean;
  onToggle(): void;
}

type Entry = [keys: string[], what: string];

/** The keyboard shortcuts for the current task, as one rendered list; `?` shows and hides it. */
export function keyEntries({ task, scale, flags, tiers, scoreRange, unsupportedClaims }: Omit<KeyLegendProps, "open" | "onToggle">): Entry[] {
  const entries: Entry[] = [];
  if (task === "pairwise") {
    const options = scaleOptions(scale);
    entries.push([[`1–${options.length}`], options.map((o, i) => `${i + 1} ${o.label}`).join(" · ")]);
    entries.push([["0"], "toggle Both bad"]);
    entries.push([["a", "b"], "focus response A or B (for flags)"]);
    entries.push([["d"], "toggle the word diff"]);
  } else if (task === "ranking") {
    entries.push([["↑", "↓", "k", "j"], "previous / next response"]);
    entries.push([[`1–${tiers ?? 9}`], "put the focused response in that tier (1 = best); focus moves on to the next response not yet placed"]);
    entries.push([["0"], "take the focused response out of its tier"]);
  } else {
    entries.push([["↑", "↓", "k", "j"], "previous / next response"]);
    entries.push([["←", "→", "h", "l"], "previous / next aspect"]);
    const range = scoreRange ? `${Math.max(0, scoreRange.min)}–${Math.min(9, scoreRange.max)}` : "1–9";
    entries.push([[range], "score the focused aspect, then move on"]);
  }
  if (flags.length) {
    const list = flags.slice(0, 9).map((f, i) => `${i + 1} ${flagLabel(f)}`).join(" · ");
    entries.push([["f", "1–9"], `toggle a flag on the focused response: ${list}`]);
  }
  if (unsupportedClaims) entries.push([["u"], "with words selected in a response: mark them as unsupported by the context (the unsupported claim flag, the words as its note)"]);
  entries.push([["r"], "write the rationale"]);
  entries.push([["Esc"], "leave a text box"]);
  entries.push([["Enter"], "submit and go to the next item (Ctrl+Enter in a text box)"]);
  entries.push([["s"], "skip"]);
  entries.push([["u", "Backspace"], unsupportedClaims ? "back to the previous item (u: when no words are selected)" : "back to the previous item"]);
  entries.push([["?"], "show or hide these keys"]);
  return entries;
}

/** The keyboard shortcuts as a visible list, shown below the judging screen while open (`?` shows and hides it). */
export function KeyLegend(props: KeyLegendProps) {
  const { open, onToggle } = props;
  if (!open) return null;
  return (
    <aside className="key-legend" aria-label="Keyboard shortcuts">
      <div className="key-legend-head">
        <h2 className="key-legend-title">Keyboard shortcuts</h2>
        <button type="button" className="link-button small" onClick={onToggle} aria-expanded={true} aria-keyshortcuts="?">
          Hide (?)
        </button>
      </div>
      <dl>
        {keyEntries(props).map(([keys, what]) => (
          <div key={keys.join(" ")} className="key-entry">
            <dt>
              {keys.map((k) => (
                <kbd key={k}>{k}</kbd>
              ))}
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}
