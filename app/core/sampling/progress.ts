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
export function samplingProgressLine(p: SamplingProgress, label = "sample"): string {
  const share = p.total ? Math.floor((p.done / p.total) * 100) : 100;
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? p.done / seconds : 0;
  const left = p.total - p.done;
  const eta = left === 0 ? "done" : rate > 0 ? `ETA ${formatDuration((left / rate) * 1000)}` : "ETA —";
  const failed = p.failed ? `, ${p.failed} failed` : "";
  return `${label}: ${p.done}/${p.total} (${share}%)${failed}, ${rate.toFixed(1)}/s, ${eta}`;
}

/** A job's counts as sampling_jobs holds them (those of its latest run). */
export interface SamplingJobCounts {
  /** prompts × n */
  requested: number;
  already_present: number;
  sampled: number;
  failed: number;
}

export interface SamplingJobProgress {
  /** Samples stored, before or during the run, out of `total`. */
  stored: number;
  total: number;
  failed: number;
  /** Neither stored nor given up on. */
  remaining: number;
  /** 0–100, floored: 100 only when nothing remains. */
  percent: number;
  /** Samples finished (answered or failed) per second over this run; null when not running or too early to say. */
  ratePerSecond: number | null;
  /** null when not running or the rate is unknown. */
  etaMs: number | null;
}

/**
 * Progress, rate and ETA of a job derived from its counts and when its current run began:
 * nothing of it is stored, so a page reloaded or another process computes the same figures.
 */
export function samplingJobProgress(counts: SamplingJobCounts, run: { startedAt: number; now: number } | null): SamplingJobProgress {
  const stored = counts.already_present + counts.sampled;
  const remaining = Math.max(0, counts.requested - stored - counts.failed);
  const percent = counts.requested ? Math.floor(((counts.requested - remaining) / counts.requested) * 100) : 100;
  const finished = counts.sampled + counts.failed;
  const seconds = run ? (run.now - run.startedAt) / 1000 : 0;
  const ratePerSecond = run && seconds > 0 && finished > 0 ? finished / seconds : null;
  const etaMs = ratePerSecond ? (remaining / ratePerSecond) * 1000 : run && remaining === 0 ? 0 : null;
  return { stored, total: counts.requested, failed: counts.failed, remaining, percent: remaining > 0 ? Math.min(percent, 99) : percent, ratePerSecond, etaMs };
}
