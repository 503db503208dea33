import { useId, type ReactNode } from "react";
import { flagLabel } from "./state";

export interface FlagsEditorProps {
  /** The response the flags are about, and its display label ("Response A"). */
  responseId: string;
  responseLabel: string;
  /** The batch's flags (config.flags), in order; `f` then N toggles the Nth. */
  flags: readonly string[];
  /** Flag → note for the flags that are on. */
  value: Readonly<Record<string, string>>;
  onToggle(flag: string): void;
  onNoteChange(flag: string, note: string): void;
  /** Shows each flag's number for the `f` N shortcut. */
  showKeys?: boolean;
  disabled?: boolean;
  /** Controls after the toggles, on their row (marking selected words as unsupported). */
  actions?: ReactNode;
}

/** Per-response flag toggles, each with an optional note once it is on. */
export function FlagsEditor({ responseId, responseLabel, flags, value, onToggle, onNoteChange, showKeys, disabled, actions }: FlagsEditorProps) {
  const id = useId();
  if (flags.length === 0) return null;
  const on = flags.filter((f) => f in value);
  return (
    <fieldset className="flags-editor" data-response={responseId} disabled={disabled}>
      <legend className="visually-hidden">Flags for {responseLabel}</legend>
      <div className="flag-toggles">
        <span className="flags-title" aria-hidden="true" title="Flags">
          ⚑
        </span>
        {flags.map((flag, i) => (
          <label key={flag} className={flag in value ? "flag-toggle on" : "flag-toggle"}>
            <input
              type="checkbox"
              checked={flag in value}
              onChange={() => onToggle(flag)}
              aria-label={`${flagLabel(flag)} (${responseLabel})`}
              aria-keyshortcuts={i < 9 ? `F ${i + 1}` : undefined}
            />
            <span>{flagLabel(flag)}</span>
            {showKeys && i < 9 && (
              <span className="flag-key" aria-hidden="true">
                {i + 1}
              </span>
            )}
          </label>
        ))}
        {actions}
      </div>
      {on.map((flag) => (
        <label key={flag} className="flag-note" htmlFor={`${id}-${flag}`}>
          <span className="small muted">Note on “{flagLabel(flag)}” (optional)</span>
          <input
            id={`${id}-${flag}`}
            type="text"
            maxLength={2000}
            value={value[flag] ?? ""}
            onChange={(e) => onNoteChange(flag, e.currentTarget.value)}
            aria-label={`Note on ${flagLabel(flag)} for ${responseLabel} (optional)`}
          />
        </label>
      ))}
    </fieldset>
  );
}
