import { formatBytes } from "../core/formats";
import type { ImportProgress } from "../services/imports.server";
import { formatFigure } from "../core/figures";
import { samplingProgressLine, type SamplingProgress } from "../core/sampling";
import type { BackupProgress } from "../services/backups.server";

/**
 * A progress line on stderr: redrawn in place on a terminal, one line every few seconds
 * otherwise (so CI logs stay short). stdout stays clean for --json. The final state is always
 * written, once.
 */
function progressLine<P>(render: (progress: P) => string, isFinal: (progress: P) => boolean, stream: NodeJS.WriteStream): { update: (progress: P) => void; end: () => void } {
  let last = Date.now();
  let drawn = false;
  let finalShown = false;
  return {
    update(progress) {
      const now = Date.now();
      const final = isFinal(progress);
      // A service may report its last step and then its end: one final line, not two.
      if (final && finalShown) return;
      if (!final && now - last < (stream.isTTY ? 100 : 5000)) return;
      finalShown = final;
      if (stream.isTTY) {
        stream.write(`\r${render(progress)}\x1b[K`);
        drawn = true;
      } else stream.write(`${render(progress)}\n`);
      last = now;
    },
    end() {
      if (drawn) stream.write("\n");
    },
  };
}

/** The import's progress: share of the file, lines, bytes, seconds. */
export function importProgressLine(stream: NodeJS.WriteStream = process.stderr): { update: (progress: ImportProgress) => void; end: () => void } {
  const started = Date.now();
  const render = (p: ImportProgress) => {
    const seconds = (Date.now() - started) / 1000;
    const share = p.totalBytes ? ` ${Math.min(100, Math.floor((p.bytes / p.totalBytes) * 100))}%` : "";
    const size = p.totalBytes ? ` of ${formatBytes(p.totalBytes)}` : "";
    return `import${share}: ${formatFigure(p.lines, "count")} lines, ${formatBytes(p.bytes)}${size}, ${seconds.toFixed(1)} s`;
  };
  return progressLine(render, (p) => p.phase === "done", stream);
}

/** The `sample` command's progress line (done/total, rate, ETA). */
export function samplingProgressWriter(stream: NodeJS.WriteStream = process.stderr, label = "sample"): { update: (progress: SamplingProgress) => void; end: () => void } {
  return progressLine((p: SamplingProgress) => samplingProgressLine(p, label), (p) => p.done === p.total, stream);
}

/** The backup's progress: share of the pages copied. */
export function backupProgressLine(stream: NodeJS.WriteStream = process.stderr): { update: (progress: BackupProgress) => void; end: () => void } {
  const started = Date.now();
  const render = (p: BackupProgress) => {
    const share = p.totalPages ? Math.floor((p.copiedPages / p.totalPages) * 100) : 100;
    return `backup ${share}%: ${formatFigure(p.copiedPages, "count")} of ${formatFigure(p.totalPages, "count")} pages, ${((Date.now() - started) / 1000).toFixed(1)} s`;
  };
  return progressLine(render, (p) => p.copiedPages === p.totalPages, stream);
}
