/**
 * Verdict's benchmarks: `npm run bench -- <name> [flags]`. Each prints one JSON object on
 * stdout and its progress on stderr. Exit codes: 0 ran (targets met or not), 1 the run
 * failed, 2 usage error.
 */
import { parseArgs } from "node:util";
import { DATASET_PAGE_USAGE, runDatasetPageBench } from "./dataset-page";
import { EXPORT_USAGE, runExportBench } from "./export";
import { BenchUsageError, errorReport } from "./harness";
import { IMPORT_USAGE, runImportBench } from "./import";
import { PAIRING_USAGE, runPairingBench } from "./pairing";
import { REVIEW_USAGE, runReviewBench } from "./review";
import { runSamplingBench, SAMPLING_USAGE } from "./sampling";
import { runSoakBench, SOAK_USAGE } from "./soak";
import { runStatsBench, STATS_USAGE } from "./stats-bench";

interface Bench {
  usage: string;
  run: (args: string[]) => Promise<number>;
}

const BENCHES: Record<string, Bench> = {
  import: { usage: IMPORT_USAGE, run: runImportBench },
  review: { usage: REVIEW_USAGE, run: runReviewBench },
  export: { usage: EXPORT_USAGE, run: runExportBench },
  stats: { usage: STATS_USAGE, run: runStatsBench },
  sampling: { usage: SAMPLING_USAGE, run: runSamplingBench },
  pairing: { usage: PAIRING_USAGE, run: runPairingBench },
  "dataset-page": { usage: DATASET_PAGE_USAGE, run: runDatasetPageBench },
  soak: { usage: SOAK_USAGE, run: runSoakBench },
  "judge-trust": { usage: "judge-trust [--quick] [--limit N] [--error-rate E] [--human-error-rate H] [--reviewers R] [--seed S] [--keep]", run: async (args) => (await import("./judge-trust")).runJudgeTrustBench(args) },
};

function usage(): string {
  return `Usage: npm run bench -- <bench> [flags]\n\n${Object.values(BENCHES)
    .map((b) => `  ${b.usage}`)
    .join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  // Only the bench name is parsed here; each bench parses its own flags.
  const { positionals } = parseArgs({ args: argv.slice(0, 1), strict: false, allowPositionals: true });
  const name = positionals[0];
  const bench = name === undefined ? undefined : Object.hasOwn(BENCHES, name) ? BENCHES[name] : undefined;
  if (!bench) {
    process.stderr.write(name === undefined ? usage() : `Unknown bench "${name}".\n\n${usage()}`);
    return 2;
  }
  try {
    return await bench.run(argv.slice(1));
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`${error.message}\n\n${usage()}`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${errorReport(error)}\n`);
    process.exit(1);
  },
);
