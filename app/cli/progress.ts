import { formatBytes } from "../core/formats";
import type { ImportProgress } from "../services/imports.server";
import { formatFigure } from "../core/figures";
import { samplingProgressLine, type SamplingProgress } from "../core/sampling";

/**
 * A progress line on stderr: redrawn in place on a terminal, one line every few seconds
 * otherwise (so CI logs stay short). stdout stays clean for --json.
 */
export function importProgressLine(stream: NodeJS.WriteStream = process.stderr): {
  update: (progress: ImportProgress) => void;
  end: () => void;
} {
  const started = Date.now();
  let last = started;
  let drawn = false;
  const render = (p: ImportProgress) => {
    const seconds = (Date.now() - started) / 1000;
    const share = p.totalBytes ? ` ${Math.min(100, Math.floor((p.bytes / p.totalBytes) * 100))}%` : "";
    const size = p.totalBytes ? ` of ${formatBytes(p.totalBytes)}` : "";
    return `import${share}: ${formatFigure(p.lines, "count")} lines, ${formatBytes(p.bytes)}${size}, ${seconds.toFixed(1)} s`;
  };
  return {
    update(progress) {
      const now = Date.now();
      if (stream.isTTY) {
        if (now - last < 100) return;
        stream.write(`\r${render(progress)}\x1b[K`);
        drawn = true;
      } else {
        if (now - last < 5000 && progress.phase !== "done") return;
        stream.write(`${render(progress)}\n`);
      }
      last = now;
    },
    end() {
      if (drawn) stream.write("\n");
    },
  };
}

/** The `sample` command's progress line (done/total, rate, ETA), drawn like the import's. */
export function samplingProgressWriter(stream: NodeJS.WriteStream = process.stderr): {
  update: (progress: SamplingProgress) => void;
  end: () => void;
} {
  let last = 0;
  let drawn = false;
  let finalShown = false;
  return {
    update(progress) {
      const now = Date.now();
      const finished = progress.done === progress.total;
      // The service reports the last sample and then the end of the run: one final line, not two.
      if (finished && finalShown) return;
      finalShown = finished;
      if (stream.isTTY) {
        if (now - last < 100 && !finished) return;
        stream.write(`\r${samplingProgressLine(progress)}\x1b[K`);
        drawn = true;
      } else {
        if (now - last < 5000 && !finished) return;
        stream.write(`${samplingProgressLine(progress)}\n`);
      }
      last = now;
    },
    end() {
      if (drawn) stream.write("\n");
    },
  };
}
