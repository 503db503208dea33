export interface SamplingProgress {
  /** Samples finished in this run, answered or failed. */
  done: number;
  /** Samples this run set out to take (the missing ones). */
  total: number;
  failed: number;
  elapsedMs: number;
}

/** "1m05s", "12s": short enough for a progress line. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** "sample: 120/400 (30%), 2 failed, 4.1/s, ETA 1m08s": rate over the whole run, ETA from it. */
export function samplingProgressLine(p: SamplingProgress): string {
  const share = p.total ? Math.floor((p.done / p.total) * 100) : 100;
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? p.done / seconds : 0;
  const left = p.total - p.done;
  const eta = left === 0 ? "done" : rate > 0 ? `ETA ${formatDuration((left / rate) * 1000)}` : "ETA —";
  const failed = p.failed ? `, ${p.failed} failed` : "";
  return `sample: ${p.done}/${p.total} (${share}%)${failed}, ${rate.toFixed(1)}/s, ${eta}`;
}
