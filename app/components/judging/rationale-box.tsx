import { useId, type Ref } from "react";
import type { BatchConfig } from "~/core/tasks/config";
import { rationaleRule } from "./state";

export interface RationaleBoxProps {
  value: string;
  onChange(value: string): void;
  rule: BatchConfig["rationale"];
  /** Shown under the box (a missing-part or server message). */
  error?: string | null;
  /** The textarea, so `r` can focus it. */
  inputRef?: Ref<HTMLTextAreaElement>;
  disabled?: boolean;
}

/** The reviewer's rationale; says whether it is required and how long it must be. */
export function RationaleBox({ value, onChange, rule, error, inputRef, disabled }: RationaleBoxProps) {
  const id = useId();
  const length = value.trim().length;
  const ruleText = rationaleRule(rule);
  return (
    <div className="rationale-box">
      <div className="rationale-head">
        <label htmlFor={`${id}-text`} className="rationale-label">
          Rationale <span className={rule.required ? "rule required" : "rule muted"}>({ruleText})</span>
        </label>
        <span className="small muted" id={`${id}-count`} aria-live="off">
          {rule.required && rule.minLength > 1 ? `${length} / ${rule.minLength}` : `${length} characters`}
        </span>
      </div>
      <textarea
        id={`${id}-text`}
        ref={inputRef}
        rows={2}
        maxLength={20_000}
        value={value}
        disabled={disabled}
        required={rule.required}
        aria-required={rule.required}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-count ${id}-error` : `${id}-count`}
        aria-keyshortcuts="R"
        placeholder="Why? (r to type here, Esc to leave, Ctrl+Enter to submit)"
        onChange={(e) => onChange(e.currentTarget.value)}
      />
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
