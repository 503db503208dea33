/** A labelled progress bar; without `value` it shows work whose length is unknown. */
export function ProgressBar({ label, value, max, detail }: { label: string; value?: number; max?: number; detail?: string }) {
  const known = value !== undefined && max !== undefined && max > 0;
  const percent = known ? Math.min(100, Math.round((value / max) * 100)) : undefined;
  return (
    <div className="progress" role="status" aria-live="polite">
      <div className="progress-label">
        <span>{label}</span>
        <span className="muted">{percent !== undefined ? `${percent}%` : ""}</span>
      </div>
      <progress aria-label={label} value={known ? value : undefined} max={known ? max : undefined} />
      {detail && <div className="muted small">{detail}</div>}
    </div>
  );
}
