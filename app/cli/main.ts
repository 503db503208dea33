/**
 * Verdict's command line: `npm run -s cli -- <command>`. It parses and validates arguments,
 * then calls the same services as the web app. Exit codes: 0 done, 1 refused (bad input,
 * conflict), 2 usage error.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { IMPORT_FORMATS } from "../core/formats";
import { ImportRejected, importFile } from "../services/imports.server";
import { asServiceError, ServiceError } from "../services/errors.server";
import { createUser, listUsers, ROLES, setUserEnabled } from "../services/users.server";
import { addBatchReviewers, changeBatchStatus, createBatch, listBatches, previewBatch, type BatchPlan } from "../services/batches.server";
import { createToken, listTokens, revokeToken } from "../services/tokens.server";
import { createWriteStream, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { once } from "node:events";
import { EXPORT_FORMAT_DESCRIPTIONS, EXPORT_FORMATS, exportCard, exportJudgeRun, parseCardOptions, parseExportOptions, type ExportResult } from "../services/exports.server";
import { FILE_FORMAT_DESCRIPTIONS, FILE_FORMATS, parseFileFormat, streamExportFile } from "../services/export-files.server";
import { batchStats, leaderboard } from "../services/stats.server";
import { listModels, setModelPrice } from "../services/models.server";
import { backupProgressLine, importProgressLine, samplingProgressWriter } from "./progress";
import { backupDatabase } from "../services/backups.server";
import { createPasswordReset, inviteUser } from "../services/password-resets.server";
import { config } from "../services/config.server";
import { listAudit } from "../services/audit.server";
import { listDisputes } from "../services/disputes.server";
import { adjudicatorId, resolveDispute, sendToMoreReviewers } from "../services/adjudication.server";
import { markItemGold, promoteToGold, resumeReviewer, setPromptGold, unmarkItemGold } from "../services/gold.server";
import { browseDataset, modelSummary } from "../services/dataset-browse.server";
import { sample, samplingFailures } from "../services/sampling.server";
import { judgeBatch, judgeFailures, runJudgeRun } from "../services/judge.server";
import { BUILT_IN_TEMPLATES } from "../core/judge/template";
import { createArenaBatch } from "../services/arena.server";
import { batchDetail, removeBatchReviewers, setBatchOverlap, updateBatch } from "../services/batch-admin.server";
import { formatFigure, formatInterval } from "../core/figures";
import { formatBytes } from "../core/formats";

const USAGE = `Usage: npm run -s cli -- <command>

  users add --username NAME --role admin|reviewer --password-stdin [--display-name TEXT]
  users invite --username NAME --role admin|reviewer [--display-name TEXT] [--json]
  users list [--json]
  users disable NAME
  users enable NAME
  users reset-password NAME [--json]
  import FILE --dataset NAME [--format auto|${IMPORT_FORMATS.join("|")}] [--upsert] [--description TEXT] [--license ID] [--json]
  batches create --dataset NAME --name NAME --task pairwise|ranking|rating --overlap K --reviewers u1,u2,...
                 [--pairing all-pairs|first-two|random:K|models:A,B|adaptive] [--sample N] [--stratify FIELD] [--seed S]
                 [--round-size R] [--adaptive-items N]
                 [--config JSON | --config-file FILE] [--dry-run] [--json]
  batches create --task arena --dataset NAME --name NAME --reviewers u1,u2,... --endpoint-file F.json
                 [--config JSON | --config-file FILE] [--json]   (the dataset is created if missing)
  batches list [--json]
  batches pause|resume|close|reopen ID
  batches add-reviewers ID --reviewers u1,u2,... [--json]
  batches show ID [--json]
  batches edit ID [--name NAME] [--guidelines-file F]
  batches remove-reviewers ID --reviewers u1,u2,... [--json]
  batches set-overlap ID K
  batches resume-reviewer ID NAME
  export --batch ID --format ${EXPORT_FORMATS.join("|")} [--file-format ${FILE_FORMATS.join("|")}] [--out FILE] [--card [--license ID [--license-name N --license-link URL]]]
         [--consensus all|majority|unanimous] [--min-agreement F] [--ties drop|keep]
         [--exclude-flags a,b] [--include-gold] [--exclude-paused-reviewers] [--source judgments|imported|both]
         [--min-strength 1|2|3] [--only-unsolved] [--with-ids] [--keep-invalid]
         [--with-text] [--include-skipped] [--json]
         [--include-context] [--judged-by human|llm-judge|both [--judge-run RUN]]
  stats --batch ID [--json]
  leaderboard --batch ID | --dataset NAME [--json]
  models price --model M --input-usd-per-mtok X --output-usd-per-mtok Y [--json]
  models list [--json]
  sample --dataset NAME --endpoint URL --model M [--label NAME] [--n 2] [--temperature T] [--top-p P]
         [--max-tokens K] [--seed S] [--system-prompt-file F] [--concurrency 4] [--api-key-env VAR]
         [--max-retries 5] [--retry-base-ms 500] [--retry-max-ms 30000] [--timeout-ms 120000] [--json]
  judge --batch ID --endpoint URL --model M [--template default|mt-bench|FILE] [--concurrency 4]
         [--no-swap] [--temperature 0] [--max-tokens K] [--parse-retries 1] [--api-key-env VAR]
         [--max-retries 5] [--retry-base-ms 500] [--retry-max-ms 30000] [--timeout-ms 120000] [--json]
  judge resume RUN [--endpoint URL] [--api-key-env VAR] [--json]
  tokens create --username NAME [--name LABEL] [--scopes review,read,export,admin] [--json]
  tokens list [--json]
  tokens revoke ID
  backup FILE [--force] [--json]
  disputes list --batch ID [--status open|resolved|all] [--limit 20] [--offset 0] [--json]
  disputes resolve ITEM (--preferred RESPONSE_ID|tie [--strength S] | --ranking "A>B=C" | --scores JSON)
         [--flag RESPONSE_ID:FLAG]... [--note TEXT] [--as ADMIN] [--json]
  disputes send ITEM --reviewers K [--json]
  gold mark ITEM (--best RESPONSE_ID|tie | --scores '{"RESPONSE_ID":SCORE,...}') [--json]
  gold unmark ITEM
  gold promote ITEM [--json]   (an adjudicated item: its verdict becomes the gold answer)
  gold prompt PROMPT_ID (--best RESPONSE_ID|tie | --scores JSON | --clear) [--json]
  datasets show NAME [--q WORDS] [--model M] [--field F --value V] [--after ID | --before ID] [--limit 20] [--json]
  audit [--actor NAME|system] [--action A|PREFIX.] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--limit 50] [--offset 0] [--json]

Export formats (--format):
${EXPORT_FORMATS.map((f) => `  ${f.padEnd(21)} ${EXPORT_FORMAT_DESCRIPTIONS[f]}`).join("\n")}

Export file formats (--file-format, default jsonl; parquet needs --out):
${FILE_FORMATS.map((f) => `  ${f.padEnd(21)} ${FILE_FORMAT_DESCRIPTIONS[f]}`).join("\n")}
`;

class UsageError extends Error {}

/**
 * Commands whose `--json` output is one JSON document on stdout: with `--json` their errors are
 * one too, `{"error": {"code", "message", "details"?}}` as the HTTP API answers, so a script
 * reads stdout either way (exit 1; a usage error has code "usage" and exit 2).
 */
const JSON_ERROR_COMMANDS = new Set(["stats", "leaderboard", "export", "sample", "judge", "backup", "audit", "disputes", "datasets", "gold"]);

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError("--password-stdin reads the password from standard input; pipe it in");
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, "");
}

function parse(args: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function print(value: unknown) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function usersCommand(args: string[]) {
  const [sub, ...rest] = args;
  if (sub === "add") {
    const { values } = parse(rest, {
      username: { type: "string" },
      role: { type: "string" },
      "display-name": { type: "string" },
      "password-stdin": { type: "boolean" },
      json: { type: "boolean" },
    });
    const input = z
      .object({ username: z.string({ error: "--username is required" }), role: z.enum(ROLES, { error: "--role must be admin or reviewer" }) })
      .safeParse(values);
    if (!input.success) throw new UsageError(input.error.issues.map((i) => i.message).join("; "));
    if (!values["password-stdin"]) throw new UsageError("pass the password on standard input with --password-stdin");
    const user = await createUser({
      username: input.data.username,
      role: input.data.role,
      displayName: values["display-name"] as string | undefined,
      password: await readStdin(),
    });
    if (values.json) print({ username: user.username, role: user.role });
    else process.stdout.write(`created ${user.role} ${user.username}\n`);
    return;
  }
  if (sub === "list") {
    const { values } = parse(rest, { json: { type: "boolean" } });
    const all = listUsers().map((u) => ({
      username: u.username,
      display_name: u.displayName,
      role: u.role,
      disabled: u.disabled,
      created_at: new Date(u.createdAt).toISOString(),
    }));
    if (values.json) return print(all);
    const width = Math.max(8, ...all.map((u) => u.username.length));
    process.stdout.write(`${"USERNAME".padEnd(width)}  ROLE      STATUS\n`);
    for (const u of all) process.stdout.write(`${u.username.padEnd(width)}  ${u.role.padEnd(8)}  ${u.disabled ? "disabled" : "active"}\n`);
    return;
  }
  if (sub === "invite") {
    // An account without a known password, and a one-time link for its owner to choose one.
    const { values } = parse(rest, { username: { type: "string" }, role: { type: "string" }, "display-name": { type: "string" }, json: { type: "boolean" } });
    const { user, reset } = await inviteUser({ username: values.username, role: values.role, displayName: values["display-name"] });
    const settings = config();
    const link = `${settings.VERDICT_PUBLIC_URL ?? `http://localhost:${settings.PORT}`}${reset.path}`;
    if (values.json) return print({ username: user.username, role: user.role, link, expires_at: reset.expiresAt });
    process.stdout.write(`created ${user.role} ${user.username}; one-time link to set their password (shown once; works once, until ${reset.expiresAt}):\n${link}\n`);
    return;
  }
  if (sub === "reset-password") {
    const { values, positionals } = parse(rest, { json: { type: "boolean" } });
    if (positionals.length !== 1) throw new UsageError("users reset-password takes one username");
    const reset = createPasswordReset(positionals[0]!);
    const settings = config();
    const link = `${settings.VERDICT_PUBLIC_URL ?? `http://localhost:${settings.PORT}`}${reset.path}`;
    if (values.json) return print({ username: reset.username, link, expires_at: reset.expiresAt });
    process.stdout.write(`One-time link for ${reset.username} to set a new password (shown once; works once, until ${reset.expiresAt}):\n${link}\n`);
    return;
  }
  if (sub === "disable" || sub === "enable") {
    const { positionals } = parse(rest, {});
    if (positionals.length !== 1) throw new UsageError(`users ${sub} takes one username`);
    const user = setUserEnabled(positionals[0]!, sub === "enable");
    if (!user.changed) process.stdout.write(`${user.username} was already ${user.disabled ? "disabled" : "enabled"}\n`);
    else process.stdout.write(sub === "enable" ? `enabled ${user.username}; they can sign in again\n` : `disabled ${user.username}; their sessions are ended\n`);
    return;
  }
  throw new UsageError(`unknown users command ${sub ?? "(none)"}`);
}

async function importCommand(args: string[]) {
  const { values, positionals } = parse(args, {
    dataset: { type: "string" },
    format: { type: "string", default: "auto" },
    upsert: { type: "boolean", default: false },
    description: { type: "string" },
    license: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (positionals.length !== 1) throw new UsageError("import takes one FILE");
  if (!values.dataset) throw new UsageError("--dataset NAME is required");
  const format = z.enum(["auto", ...IMPORT_FORMATS]).safeParse(values.format);
  if (!format.success) throw new UsageError(`--format must be one of auto, ${IMPORT_FORMATS.join(", ")}`);
  const progress = importProgressLine();
  try {
    const summary = await importFile(
      positionals[0]!,
      {
        dataset: values.dataset as string,
        format: format.data,
        upsert: values.upsert as boolean,
        description: values.description as string | undefined,
        license: values.license as string | undefined,
      },
      { onProgress: progress.update },
    );
    progress.end();
    if (values.json) print({ dataset: summary.dataset, prompts: summary.prompts, responses: summary.responses, pairs: summary.pairs });
    else
      process.stdout.write(
        `imported ${summary.prompts} prompts, ${summary.responses} responses and ${summary.pairs} pairs into "${summary.dataset}" (${summary.format})\n`,
      );
  } catch (error) {
    progress.end();
    throw error;
  }
}

function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * A numeric option as a number; text that is not one is passed on as it is, so the service's
 * field message names what was typed (`seed: "x" is not a number`). Undefined when absent.
 */
function numberOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  // The service's schema refuses the text by name; typing it as a number only gets it there.
  return text.trim() !== "" && Number.isFinite(value) ? value : (text as unknown as number);
}

/** The figures of a plan beside items and judgments_needed, for scripts. */
function planDetails(plan: BatchPlan) {
  return {
    prompts: plan.prompts,
    skipped: plan.skipped,
    ...(plan.sample && { sample: plan.sample }),
    ...(plan.strata.length > 0 && { strata: plan.strata }),
    ...(plan.adaptive && { adaptive: { round_size: plan.adaptive.roundSize, budget: plan.adaptive.budget } }),
    notes: plan.notes,
  };
}

function planLine(plan: BatchPlan): string {
  const f = (n: number) => formatFigure(n, "count");
  const strata = plan.strata.length ? `; per stratum: ${plan.strata.map((s) => `${s.value} ${f(s.taken)}`).join(", ")}` : "";
  const notes = plan.notes.length ? `; ${plan.notes.join("; ")}` : "";
  const upTo = plan.adaptive ? "up to " : "";
  return `${f(plan.items)} items${plan.adaptive ? " in the first round" : ""} from ${f(plan.prompts)} prompts, ${upTo}${f(plan.judgmentsNeeded)} judgments needed${plan.skipped ? ` (${f(plan.skipped)} ${plan.skipped === 1 ? "prompt" : "prompts"} did not fit)` : ""}${strata}${notes}`;
}

async function batchesCommand(args: string[]) {

  const [sub, ...rest] = args;
  if (sub === "create") {
    const { values } = parse(rest, {
      dataset: { type: "string" },
      name: { type: "string" },
      task: { type: "string" },
      overlap: { type: "string", default: "1" },
      reviewers: { type: "string" },
      pairing: { type: "string" },
      sample: { type: "string" },
      stratify: { type: "string" },
      seed: { type: "string" },
      "round-size": { type: "string" },
      "adaptive-items": { type: "string" },
      config: { type: "string" },
      "config-file": { type: "string" },
      "endpoint-file": { type: "string" },
      "dry-run": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    });
    for (const flag of ["dataset", "name", "task", "reviewers"] as const) {
      if (!values[flag]) throw new UsageError(`--${flag} is required`);
    }
    const overlap = Number(values.overlap);
    if (!Number.isInteger(overlap)) throw new UsageError("--overlap must be a whole number");
    const config = values["config-file"]
      ? parseJson(readFileSync(values["config-file"] as string, "utf8"), "--config-file")
      : values.config
        ? parseJson(values.config as string, "--config")
        : {};
    if (values.task === "arena") {
      if (!values["endpoint-file"]) throw new UsageError("--endpoint-file is required for an arena: a JSON list of {label, url, model, api_key_env?, temperature?, max_tokens?}");
      if (values["dry-run"]) throw new UsageError("--dry-run has nothing to show for an arena: its items are made by the reviewers' prompts");
      const file = parseJson(readFileSync(values["endpoint-file"] as string, "utf8"), "--endpoint-file") as unknown;
      // The file may be the list itself or {"endpoints": [...]}.
      const endpoints = Array.isArray(file) ? file : (file as { endpoints?: unknown } | null)?.endpoints;
      const arena = createArenaBatch({
        dataset: values.dataset as string,
        name: values.name as string,
        reviewers: (values.reviewers as string).split(",").filter(Boolean),
        endpoints,
        config,
      });
      if (values.json) print({ id: arena.id, task: "arena", dataset: arena.dataset, endpoints: arena.endpoints });
      else process.stdout.write(`created arena batch ${arena.id} with ${arena.endpoints} endpoints; votes go to dataset ${arena.dataset}\n`);
      return;
    }
    const input = {
      dataset: values.dataset as string,
      name: values.name as string,
      task: values.task as "pairwise",
      overlap,
      reviewers: (values.reviewers as string).split(",").filter(Boolean),
      pairing: values.pairing as string | undefined,
      sample: numberOption(values.sample as string | undefined),
      stratify: values.stratify as string | undefined,
      seed: numberOption(values.seed as string | undefined),
      roundSize: numberOption(values["round-size"] as string | undefined),
      adaptiveItems: numberOption(values["adaptive-items"] as string | undefined),
      config,
    };
    if (values["dry-run"]) {
      const plan = previewBatch(input);
      if (values.json) print({ items: plan.items, judgments_needed: plan.judgmentsNeeded, ...planDetails(plan) });
      else process.stdout.write(`would create a batch of ${planLine(plan)} (dry run: nothing written)\n`);
      return;
    }
    const result = createBatch(input);
    if (values.json) print({ id: result.id, items: result.items, judgments_needed: result.judgmentsNeeded, ...planDetails(result) });
    else process.stdout.write(`created batch ${result.id} with ${planLine(result)}\n`);
    return;
  }
  if (sub === "list") {
    const { values } = parse(rest, { json: { type: "boolean" } });
    const all = listBatches();
    if (values.json) return print(all);
    for (const b of all) {
      const stranded = b.needsReviewer ? `  ${b.needsReviewer} need${b.needsReviewer === 1 ? "s" : ""} another reviewer` : "";
      process.stdout.write(`${b.id}  ${b.status.padEnd(7)}  ${(b.arena ? "arena" : b.task).padEnd(8)}  ${b.judgments}/${b.items * b.overlap} judgments  ${b.name} (${b.dataset})${stranded}\n`);
    }
    return;
  }
  if (sub === "pause" || sub === "resume" || sub === "close" || sub === "reopen") {
    const { positionals } = parse(rest, {});
    if (positionals.length !== 1) throw new UsageError(`batches ${sub} takes one batch id`);
    const id = positionals[0]!;
    const status = changeBatchStatus(id, sub);
    const meaning =
      sub === "close" ? `; reviewers can no longer judge it, its judgments are kept and still export (undo: batches reopen ${id})` : "";
    process.stdout.write(`batch ${id} is ${status}${meaning}\n`);
    return;
  }
  if (sub === "add-reviewers") {
    const { values, positionals } = parse(rest, { reviewers: { type: "string" }, json: { type: "boolean", default: false } });
    if (positionals.length !== 1) throw new UsageError("batches add-reviewers takes one batch id");
    if (!values.reviewers) throw new UsageError("--reviewers u1,u2,... is required");
    const result = addBatchReviewers(positionals[0]!, (values.reviewers as string).split(","));
    if (values.json) return print(result);
    process.stdout.write(
      `added ${result.added.length ? result.added.join(", ") : "no one"} to batch ${positionals[0]}${result.already.length ? ` (already reviewing: ${result.already.join(", ")})` : ""}\n`,
    );
    return;
  }
  if (sub === "show") {
    const { values, positionals } = parse(rest, { json: { type: "boolean", default: false } });
    if (positionals.length !== 1) throw new UsageError("batches show takes one batch id");
    const b = batchDetail(positionals[0]!);
    if (values.json) return print(b);
    const f = (n: number) => formatFigure(n, "count");
    const width = Math.max("REVIEWER".length, ...b.reviewers.map((r) => r.username.length));
    const lines = [
      `${b.name} (${b.id})  ${b.status}`,
      `dataset ${b.dataset}, task ${b.arena ? "arena" : b.task}, overlap ${b.overlap}${b.arena ? `, endpoints ${b.arena.endpoints.join(", ")}` : ""}`,
      `progress: ${f(b.judgments)} of ${f(b.needed)} judgments, ${f(b.items)} items, ${f(b.leased)} leased, ${f(b.skipped)} skipped${b.needsReviewer ? `; ${f(b.needsReviewer)} ${b.needsReviewer === 1 ? "item needs" : "items need"} another reviewer` : ""}`,
      `guidelines: ${b.config.guidelines ? `${f(b.config.guidelines.length)} characters` : "none"}`,
      "",
      `${"REVIEWER".padEnd(width)}  DONE  LEASED  LEFT  SKIPPED  WAITING`,
      ...b.reviewers.map((r) =>
        [r.username.padEnd(width), String(r.done).padStart(4), String(r.leased).padStart(6), String(r.left).padStart(4), String(r.skipped).padStart(7), String(r.skippedWaiting).padStart(7)].join("  ") +
        (r.member ? "" : "  (removed)") +
        (r.disabled ? "  (disabled)" : ""),
      ),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return;
  }
  if (sub === "edit") {
    const { values, positionals } = parse(rest, { name: { type: "string" }, "guidelines-file": { type: "string" } });
    if (positionals.length !== 1) throw new UsageError("batches edit takes one batch id");
    if (values.name === undefined && values["guidelines-file"] === undefined) throw new UsageError("give --name NAME and/or --guidelines-file F");
    const guidelines = values["guidelines-file"] === undefined ? undefined : readFileSync(values["guidelines-file"] as string, "utf8");
    const { changed } = updateBatch(positionals[0]!, { name: values.name as string | undefined, guidelines });
    process.stdout.write(changed.length ? `batch ${positionals[0]}: changed ${changed.join(" and ")}\n` : `batch ${positionals[0]}: nothing changed\n`);
    return;
  }
  if (sub === "remove-reviewers") {
    const { values, positionals } = parse(rest, { reviewers: { type: "string" }, json: { type: "boolean", default: false } });
    if (positionals.length !== 1) throw new UsageError("batches remove-reviewers takes one batch id");
    if (!values.reviewers) throw new UsageError("--reviewers u1,u2,... is required");
    const result = removeBatchReviewers(positionals[0]!, (values.reviewers as string).split(","));
    if (values.json) return print(result);
    process.stdout.write(
      `removed ${result.removed.join(", ")} from batch ${positionals[0]}; ${result.released} held ${result.released === 1 ? "item" : "items"} given back, their judgments kept\n`,
    );
    return;
  }
  if (sub === "set-overlap") {
    const { positionals } = parse(rest, {});
    if (positionals.length !== 2) throw new UsageError("batches set-overlap takes a batch id and the new overlap");
    if (!/^\d+$/.test(positionals[1]!)) throw new UsageError("the overlap must be a whole number");
    const result = setBatchOverlap(positionals[0]!, Number(positionals[1]));
    process.stdout.write(
      result.from === result.to
        ? `batch ${positionals[0]}: overlap stays ${result.to}\n`
        : `batch ${positionals[0]}: overlap ${result.from} → ${result.to}, ${result.reopened} ${result.reopened === 1 ? "item" : "items"} reopened\n`,
    );
    return;
  }
  if (sub === "resume-reviewer") {
    const { positionals } = parse(rest, {});
    if (positionals.length !== 2) throw new UsageError("batches resume-reviewer takes a batch id and a reviewer's username");
    const result = resumeReviewer(positionals[0]!, positionals[1]!, null);
    process.stdout.write(`${result.reviewer} is resumed in batch ${result.batch_id}; their gold count starts afresh\n`);
    return;
  }
  throw new UsageError(`unknown batches command ${sub ?? "(none)"}`);
}

async function tokensCommand(args: string[]) {
  const [sub, ...rest] = args;
  if (sub === "create") {
    const { values } = parse(rest, { username: { type: "string" }, name: { type: "string" }, scopes: { type: "string" }, json: { type: "boolean", default: false } });
    if (!values.username) throw new UsageError("--username is required");
    const asked = values.scopes === undefined ? undefined : (values.scopes as string).split(",");
    const { id, token, scopes } = createToken({ username: values.username as string, name: values.name as string | undefined, scopes: asked });
    if (values.json) print({ id, token, scopes });
    else process.stdout.write(`${token}\n`);
    if (!values.json) process.stderr.write(`token ${id} created with scopes ${scopes.join(", ")}; it is shown only this once\n`);
    return;
  }
  if (sub === "list") {
    const { values } = parse(rest, { json: { type: "boolean" } });
    const all = listTokens();
    if (values.json) return print(all);
    for (const t of all) {
      const state = t.revokedAt ? "revoked" : t.lastUsedAt ? `last used ${new Date(t.lastUsedAt).toISOString()}` : "never used";
      process.stdout.write(`${t.id}  ${t.username}  ${t.name}  ${t.scopes.join(",") || "(no scope)"}  ${state}\n`);
    }
    return;
  }
  if (sub === "revoke") {
    const { positionals } = parse(rest, {});
    if (positionals.length !== 1) throw new UsageError("tokens revoke takes one token id");
    revokeToken(positionals[0]!);
    process.stdout.write(`token ${positionals[0]} revoked\n`);
    return;
  }
  throw new UsageError(`unknown tokens command ${sub ?? "(none)"}`);
}

async function modelsCommand(args: string[]) {
  const [sub, ...rest] = args;
  if (sub === "price") {
    const { values } = parse(rest, { model: { type: "string" }, "input-usd-per-mtok": { type: "string" }, "output-usd-per-mtok": { type: "string" }, json: { type: "boolean", default: false } });
    if (!values.model) throw new UsageError("--model M is required");
    if (values["input-usd-per-mtok"] === undefined || values["output-usd-per-mtok"] === undefined) throw new UsageError("give both --input-usd-per-mtok X and --output-usd-per-mtok Y");
    const price = setModelPrice({ model: values.model, input_usd_per_mtok: values["input-usd-per-mtok"], output_usd_per_mtok: values["output-usd-per-mtok"] });
    if (values.json) return print(price);
    process.stdout.write(`${price.model}: ${price.input_usd_per_mtok} USD per million input tokens, ${price.output_usd_per_mtok} per million output tokens\n`);
    return;
  }
  if (sub === "list") {
    const { values } = parse(rest, { json: { type: "boolean", default: false } });
    const models = listModels();
    if (values.json) return print(models);
    for (const m of models) {
      const price = m.price ? `${m.price.input_usd_per_mtok} / ${m.price.output_usd_per_mtok} USD per Mtok in / out` : "no price";
      process.stdout.write(`${m.model.padEnd(24)} ${formatFigure(m.responses, "count").padStart(9)} responses  ${price}\n`);
    }
    return;
  }
  throw new UsageError(`unknown models command ${sub ?? "(none)"}`);
}

/** ", 3 rows left out: 2 empty_prompt, 1 consecutive_roles (--keep-invalid writes them)", or nothing. */
function invalidNote(invalid: Record<string, number>, kept: boolean): string {
  const parts = Object.entries(invalid).filter(([, n]) => n > 0);
  if (!parts.length) return "";
  const total = parts.reduce((sum, [, n]) => sum + n, 0);
  const list = parts.map(([reason, n]) => `${formatFigure(n, "count")} ${reason}`).join(", ");
  return kept ? `, ${formatFigure(total, "count")} invalid rows kept: ${list}` : `, ${formatFigure(total, "count")} rows left out: ${list} (--keep-invalid writes them)`;
}

async function exportCommand(args: string[]) {
  const { values } = parse(args, {
    batch: { type: "string" },
    format: { type: "string" },
    "file-format": { type: "string" },
    out: { type: "string" },
    card: { type: "boolean", default: false },
    license: { type: "string" },
    "license-name": { type: "string" },
    "license-link": { type: "string" },
    consensus: { type: "string" },
    "min-agreement": { type: "string" },
    ties: { type: "string" },
    "exclude-flags": { type: "string" },
    "include-gold": { type: "boolean", default: false },
    "exclude-paused-reviewers": { type: "boolean", default: false },
    "with-text": { type: "boolean", default: false },
    "include-skipped": { type: "boolean", default: false },
    source: { type: "string" },
    "min-strength": { type: "string" },
    "only-unsolved": { type: "boolean", default: false },
    "with-ids": { type: "boolean", default: false },
    "keep-invalid": { type: "boolean", default: false },
    "include-context": { type: "boolean", default: false },
    "judged-by": { type: "string" },
    "judge-run": { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (!values.batch) throw new UsageError("--batch ID is required");
  if (!values.format) throw new UsageError(`--format is required: one of ${EXPORT_FORMATS.join(", ")}`);
  if (values.card && !values.out) throw new UsageError("--card writes FILE.README.md beside the --out FILE; give --out");
  const card = Object.fromEntries(
    Object.entries({ license: values.license, license_name: values["license-name"], license_link: values["license-link"] }).filter(([, v]) => v !== undefined),
  );
  if (!values.card && Object.keys(card).length > 0) throw new UsageError("--license, --license-name and --license-link are for the dataset card; add --card");
  const options = Object.fromEntries(
    Object.entries({
      format: values.format,
      file_format: values["file-format"],
      consensus: values.consensus,
      min_agreement: values["min-agreement"],
      ties: values.ties,
      exclude_flags: values["exclude-flags"],
      include_gold: values["include-gold"],
      exclude_paused_reviewers: values["exclude-paused-reviewers"],
      with_text: values["with-text"],
      include_skipped: values["include-skipped"],
      source: values.source,
      min_strength: values["min-strength"],
      only_unsolved: values["only-unsolved"],
      with_ids: values["with-ids"],
      keep_invalid: values["keep-invalid"],
      include_context: values["include-context"],
      judged_by: values["judged-by"],
      judge_run: values["judge-run"],
    }).filter(([, v]) => v !== undefined),
  );
  // Everything is checked before --out is opened, so a refused option leaves no file behind.
  parseExportOptions(options);
  // A missing judge run (--judged-by llm-judge|both) too.
  exportJudgeRun(values.batch as string, options);
  if (values.card) parseCardOptions(values.batch as string, card);
  // Parquet is binary with its footer at the end: useless in a terminal or a text pipe.
  if (parseFileFormat(options) === "parquet" && !values.out) throw new UsageError("--file-format parquet writes a binary file; give --out FILE");
  const out = values.out ? createWriteStream(values.out as string) : process.stdout;
  let result: ExportResult | null = null;
  const started = Date.now();
  let lastProgress = started;
  try {
    for await (const chunk of streamExportFile(values.batch as string, options, {
      onDone: (r) => (result = r),
      onProgress: (rows) => {
        if (Date.now() - lastProgress < 1000) return;
        lastProgress = Date.now();
        process.stderr.write(`${process.stderr.isTTY ? "\r" : ""}export: ${formatFigure(rows, "count")} rows, ${((Date.now() - started) / 1000).toFixed(1)} s${process.stderr.isTTY ? "\x1b[K" : "\n"}`);
      },
    })) {
      if (!out.write(chunk)) await once(out, "drain");
    }
    if (values.out) {
      (out as ReturnType<typeof createWriteStream>).end();
      await once(out, "finish");
    }
  } catch (error) {
    // Nothing half-written: a failed export removes the part of --out it wrote.
    if (values.out) {
      (out as ReturnType<typeof createWriteStream>).destroy();
      rmSync(values.out as string, { force: true });
    }
    throw error;
  }
  const done = result as ExportResult | null;
  if (!done) throw new ServiceError("invalid", "the export did not finish");
  // FILE.README.md, not README.md: two exports in one folder keep a card each (rename it to
  // README.md when the folder becomes a Hub repository; data_files names FILE).
  const cardFile = values.card ? `${values.out as string}.README.md` : null;
  if (cardFile) writeFileSync(cardFile, exportCard(values.batch as string, done, options, basename(values.out as string), card));
  const summary = { id: done.id, rows: done.rows, bytes: done.bytes, sha256: done.sha256, invalid: done.invalid, ...(values.out ? { file: values.out } : {}), ...(cardFile ? { card: cardFile } : {}) };
  if (values.json && values.out) print(summary);
  else process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}exported ${done.rows} rows (${done.bytes} bytes, sha256 ${done.sha256})${invalidNote(done.invalid, options.keep_invalid === true)}\n`);
}

async function statsCommand(args: string[]) {
  const { values } = parse(args, { batch: { type: "string" }, json: { type: "boolean", default: false } });
  if (!values.batch) throw new UsageError("--batch ID is required");
  const stats = batchStats(values.batch as string);
  if (values.json) return print(stats);
  const f = formatFigure;
  const coefficient = (value: number | null) => f(value, "coefficient");
  const p = (value: number | null) => (value !== null && value < 0.001 ? `p ${f(value, "p_value")}` : `p = ${f(value, "p_value")}`);
  const alpha = stats.krippendorff_alpha;
  const lines = [
    `${stats.batch.name} (${stats.batch.task}): ${f(stats.items, "count")} items, ${f(stats.judgments, "count")} judgments, ${f(stats.reviewers, "count")} reviewers`,
    `progress: ${f(stats.progress.done, "count")} of ${f(stats.progress.needed, "count")} judgments done, ${f(stats.progress.leased, "count")} leased${stats.progress.needs_reviewer ? `; ${f(stats.progress.needs_reviewer, "count")} ${stats.progress.needs_reviewer === 1 ? "item needs" : "items need"} another reviewer (batches add-reviewers ${stats.batch.id} --reviewers …)` : ""}`,
    `percent agreement: ${coefficient(stats.percent_agreement.with_ties)} with ties, ${coefficient(stats.percent_agreement.without_ties)} without`,
    `Krippendorff's alpha: nominal ${coefficient(alpha.nominal)}, ordinal ${coefficient(alpha.ordinal)}, interval ${coefficient(alpha.interval)}, direction ${coefficient(alpha.direction)}`,
    `Fleiss' kappa: ${stats.fleiss_kappa_reason ?? coefficient(stats.fleiss_kappa)}, direction ${stats.fleiss_kappa_direction === null ? `— (${stats.reasons.fleiss_kappa_direction})` : coefficient(stats.fleiss_kappa_direction)}`,
    `Kendall's W: ${coefficient(stats.kendall_w)}`,
    `position bias: left ${f(stats.position_bias.left_rate, "rate")} (${p(stats.position_bias.p_value)}), longer chosen ${f(stats.length_bias.longer_rate, "rate")}`,
    ...(stats.batch.task === "ranking"
      ? [`first shown in the top tier: ${f(stats.first_shown_top.rate, "rate")} against chance ${f(stats.first_shown_top.chance_rate, "rate")} (${p(stats.first_shown_top.p_value)})`]
      : []),
    ...stats.per_aspect.map(
      (a) =>
        `aspect ${a.aspect} (${a.min}..${a.max}, ${f(a.units, "count")} units): alpha nominal ${coefficient(a.krippendorff_alpha.nominal)}, ordinal ${coefficient(a.krippendorff_alpha.ordinal)}, interval ${coefficient(a.krippendorff_alpha.interval)}, Fleiss' kappa ${coefficient(a.fleiss_kappa)}`,
    ),
    "",
    "reviewer            judgments  majority  median s    ties   flags    left",
    ...stats.per_reviewer.map(
      (r) =>
        `${r.username.padEnd(18)}  ${f(r.judgments, "count").padStart(9)}  ${coefficient(r.agreement_with_majority).padStart(8)}  ${f(r.median_seconds, "seconds").padStart(8)}  ${f(r.tie_rate, "rate").padStart(6)}  ${f(r.flag_rate, "rate").padStart(6)}  ${f(r.left_rate, "rate").padStart(6)}`,
    ),
    ...stats.judges.flatMap((j) => {
      const est = (e: { value: number | null; interval: [number, number] | null }) => `${coefficient(e.value)} [${formatInterval(e.interval, "coefficient")}]`;
      return [
        "",
        `LLM judge ${j.model} (run ${j.run}, template ${j.template}, ${f(j.items_judged, "count")} items, ${f(j.failed, "count")} failed):`,
        `  agreement with the majority ${est(j.trust.majority_agreement.with_ties)} with ties, ${est(j.trust.majority_agreement.without_ties)} without; kappa ${est(j.trust.kappa)}`,
        `  judge and one reviewer ${est(j.trust.judge_human.with_ties)}; two reviewers ${est(j.trust.human_human.with_ties)} (with ties)`,
        `  swap consistency ${f(j.swap_consistency.value, "rate")} (${j.swap_consistency.position_bias.first_shown} inconsistent for the first shown, ${j.swap_consistency.position_bias.second_shown} for the second); ${f(j.triage.length, "count")} items to triage`,
        `  cost ${j.cost.usd === null ? "— (no price for the model)" : f(j.cost.usd, "usd")}, ${f(j.cost.seconds_per_item, "seconds")} s per item against a reviewer's median ${f(j.cost.human_median_seconds_per_item, "seconds")} s`,
      ];
    }),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** "  412 ms, 180 output tokens, $0.19 per 1,000 responses (frontier)", for what is known. */
function costNote(m: { mean_latency_ms: number | null; mean_output_tokens: number | null; usd_per_1k_responses: number | null; on_cost_frontier: boolean }): string {
  const parts = [
    m.mean_latency_ms === null ? null : `${formatFigure(Math.round(m.mean_latency_ms), "count")} ms`,
    m.mean_output_tokens === null ? null : `${formatFigure(Math.round(m.mean_output_tokens), "count")} output tokens`,
    m.usd_per_1k_responses === null ? null : `${formatFigure(m.usd_per_1k_responses, "usd")} per 1,000 responses${m.on_cost_frontier ? " (cost frontier)" : ""}`,
  ].filter(Boolean);
  return parts.length ? `  ${parts.join(", ")}` : "";
}

async function leaderboardCommand(args: string[]) {
  const { values } = parse(args, { batch: { type: "string" }, dataset: { type: "string" }, json: { type: "boolean", default: false } });
  if (!values.batch === !values.dataset) throw new UsageError("give --batch ID or --dataset NAME");
  const board = leaderboard({ batchId: values.batch as string | undefined, dataset: values.dataset as string | undefined });
  if (values.json) return print(board);
  for (const [i, m] of board.models.entries()) {
    process.stdout.write(
      `${String(i + 1).padStart(2)}. ${m.model.padEnd(24)} ${formatFigure(m.rating, "rating").padStart(7)}  [${formatInterval(m.ci, "rating")}]  ${formatFigure(m.battles, "count")} battles (${m.wins}-${m.ties}-${m.losses})${costNote(m)}\n`,
    );
  }
  if (board.method) process.stdout.write(`fit: ${board.method === "mle" ? "maximum likelihood" : `regularized (${board.method_reason})`}\n`);
}

async function backupCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { force: { type: "boolean", default: false }, json: { type: "boolean", default: false } });
  if (positionals.length !== 1) throw new UsageError("backup takes one FILE: where to write the copy");
  const progress = backupProgressLine();
  const result = await backupDatabase(positionals[0]!, { overwrite: values.force as boolean, onProgress: progress.update });
  progress.end();
  if (values.json) return print(result);
  process.stdout.write(`backed up ${formatFigure(result.pages, "count")} pages (${formatBytes(result.bytes)}) to ${result.file} in ${(result.milliseconds / 1000).toFixed(1)} s; integrity ${result.integrity}\n`);
}

async function disputesCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "resolve") return resolveCommand(rest);
  if (sub === "send") {
    const { values, positionals } = parse(rest, { reviewers: { type: "string" }, json: { type: "boolean", default: false } });
    if (positionals.length !== 1) throw new UsageError("disputes send takes one ITEM: the item id");
    if (values.reviewers === undefined) throw new UsageError("--reviewers K is required");
    const sent = sendToMoreReviewers(positionals[0]!, null, values.reviewers);
    if (values.json) return print(sent);
    process.stdout.write(`${sent.item_id} now takes ${sent.extra_overlap} more ${sent.extra_overlap === 1 ? "reviewer" : "reviewers"} than the batch's overlap\n`);
    return;
  }
  if (sub !== "list") throw new UsageError(`unknown disputes command ${sub ?? "(none)"}`);
  const { values, positionals } = parse(rest, { batch: { type: "string" }, status: { type: "string" }, limit: { type: "string" }, offset: { type: "string" }, json: { type: "boolean", default: false } });
  if (positionals.length) throw new UsageError("disputes list takes no positional arguments");
  if (!values.batch) throw new UsageError("--batch is required");
  const page = listDisputes(values.batch as string, { limit: values.limit, offset: values.offset, status: values.status });
  if (values.json) return print(page);
  for (const item of page.items) {
    const reasons = [item.direction ? "direction" : "", ...item.flags.map((flag) => `flag ${flag}`)].filter(Boolean).join(", ");
    const votes = item.judgments.map((j) => `${j.reviewer}: ${j.choice ?? "—"}${j.strength === null ? "" : ` (${j.strength})`}`).join("; ");
    const verdict = item.adjudication ? `\n    resolved by ${item.adjudication.by}: ${JSON.stringify(item.adjudication.payload)}` : "";
    process.stdout.write(`#${item.position} ${item.item_id}  split ${item.split.toFixed(2)}  ${reasons}\n    ${votes}${verdict}\n`);
  }
  process.stdout.write(`${formatFigure(page.total, "count")} disputed of ${formatFigure(page.judged_items, "count")} items with two or more judgments\n`);
}

/** A gold answer from `--best` or `--scores` (exactly one). */
function goldAnswerOption(values: { best?: unknown; scores?: unknown }): Record<string, unknown> {
  if ((values.best === undefined) === (values.scores === undefined)) throw new UsageError("give exactly one of --best RESPONSE_ID|tie or --scores JSON");
  return values.best !== undefined ? { best: values.best } : { scores: parseJson(values.scores as string, "--scores") };
}

async function goldCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    best: { type: "string" },
    scores: { type: "string" },
    clear: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  });
  if (positionals.length !== 1) throw new UsageError(`gold ${sub ?? ""} takes one id`.replace("  ", " "));
  const id = positionals[0]!;
  if (sub === "mark" || sub === "promote") {
    const result = sub === "mark" ? markItemGold(id, goldAnswerOption(values), null) : promoteToGold(id, null);
    if (values.json) return print(result);
    process.stdout.write(`item ${result.item_id} is gold, expecting ${JSON.stringify(result.gold_answer)}\n`);
    return;
  }
  if (sub === "unmark") {
    unmarkItemGold(id, null);
    process.stdout.write(`item ${id} is no longer gold\n`);
    return;
  }
  if (sub === "prompt") {
    const result = setPromptGold(id, values.clear ? null : goldAnswerOption(values), null);
    if (values.json) return print(result);
    process.stdout.write(result.gold_answer ? `prompt ${id} expects ${JSON.stringify(result.gold_answer)} in batches made from now on\n` : `prompt ${id} has no gold answer\n`);
    return;
  }
  throw new UsageError(`unknown gold command ${sub ?? "(none)"}`);
}

/** `disputes resolve ITEM`: an admin's verdict, stored as an adjudicated judgment. */
async function resolveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    preferred: { type: "string" },
    strength: { type: "string" },
    ranking: { type: "string" },
    scores: { type: "string" },
    flag: { type: "string", multiple: true },
    note: { type: "string" },
    as: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (positionals.length !== 1) throw new UsageError("disputes resolve takes one ITEM: the item id");
  const shapes = [values.preferred, values.ranking, values.scores].filter((v) => v !== undefined).length;
  if (shapes !== 1) throw new UsageError("give exactly one of --preferred, --ranking or --scores");
  const input: Record<string, unknown> = {};
  if (values.preferred !== undefined) input.preferred = values.preferred;
  if (values.strength !== undefined) input.strength = numberOption(values.strength as string);
  // "A>B=C": tiers best first, "=" inside a tier.
  if (values.ranking !== undefined) input.tiers = (values.ranking as string).split(">").map((tier) => tier.split("=").map((id) => id.trim()));
  if (values.scores !== undefined) input.scores = parseJson(values.scores as string, "--scores");
  input.flags = ((values.flag as string[] | undefined) ?? []).map((text) => {
    const at = text.lastIndexOf(":");
    if (at <= 0) throw new UsageError(`--flag ${text}: expected RESPONSE_ID:FLAG`);
    return { response_id: text.slice(0, at), flag: text.slice(at + 1) };
  });
  if (values.note !== undefined) input.note = values.note;
  const verdict = resolveDispute(positionals[0]!, adjudicatorId(values.as as string | undefined), input);
  if (values.json) return print(verdict);
  process.stdout.write(`resolved ${verdict.item_id} as ${verdict.by}: ${JSON.stringify(verdict.payload)}\n`);
}

async function auditCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    actor: { type: "string" },
    action: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    limit: { type: "string" },
    offset: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (positionals.length) throw new UsageError("audit takes no positional arguments");
  const { json, ...query } = values;
  const page = listAudit(query as Record<string, string | undefined>);
  if (json) return print({ entries: page.entries, total: page.total, limit: page.limit, offset: page.offset });
  for (const entry of page.entries) {
    const detail = Object.keys(entry.detail).length ? ` ${JSON.stringify(entry.detail)}` : "";
    process.stdout.write(`${entry.at}  ${entry.actor.padEnd(12)} ${entry.action.padEnd(20)} ${entry.subject}${detail}\n`);
  }
  const shown = page.entries.length ? `${page.offset + 1}–${page.offset + page.entries.length}` : "none";
  process.stdout.write(`${shown} of ${formatFigure(page.total, "count")} entries\n`);
}

/** `datasets show NAME`: a page of the dataset's prompts with their responses, as on the dataset page. */
async function datasetsCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "show") throw new UsageError("datasets show NAME [--q WORDS] [--model M] [--field F --value V] [--after ID | --before ID] [--limit N] [--json]");
  const { values, positionals } = parse(rest, {
    q: { type: "string" },
    model: { type: "string" },
    field: { type: "string" },
    value: { type: "string" },
    after: { type: "string" },
    before: { type: "string" },
    limit: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (positionals.length !== 1) throw new UsageError("datasets show takes one NAME: the dataset");
  const { json, ...query } = values;
  const page = browseDataset(positionals[0]!, query as Record<string, string | undefined>);
  const models = modelSummary(positionals[0]!);
  if (json) return print({ ...page, models });
  for (const m of models) {
    const tokens = m.mean_output_tokens === null ? "" : `, ${formatFigure(Math.round(m.mean_output_tokens), "count")} output tokens`;
    process.stdout.write(`model ${m.model}: ${formatFigure(m.responses, "count")} responses, mean ${formatFigure(Math.round(m.mean_chars), "count")} characters${tokens}\n`);
  }
  for (const prompt of page.prompts) {
    const last = prompt.messages[prompt.messages.length - 1]?.content ?? "";
    process.stdout.write(`\n${prompt.external_id}: ${last.replace(/\s+/g, " ").slice(0, 100)}\n`);
    for (const r of prompt.responses) process.stdout.write(`  ${r.model}: ${r.text.replace(/\s+/g, " ").slice(0, 100)}\n`);
  }
  const total = page.totalExact ? formatFigure(page.total, "count") : `more than ${formatFigure(page.total, "count")}`;
  process.stdout.write(`\n${page.prompts.length} of ${total} prompts${page.next ? `; next page: --after ${page.next}` : ""}\n`);
}

async function sampleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    dataset: { type: "string" },
    endpoint: { type: "string" },
    model: { type: "string" },
    label: { type: "string" },
    n: { type: "string" },
    temperature: { type: "string" },
    "top-p": { type: "string" },
    "max-tokens": { type: "string" },
    seed: { type: "string" },
    "system-prompt-file": { type: "string" },
    concurrency: { type: "string" },
    "api-key-env": { type: "string" },
    "max-retries": { type: "string" },
    "retry-base-ms": { type: "string" },
    "retry-max-ms": { type: "string" },
    "timeout-ms": { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (positionals.length) throw new UsageError("sample takes no positional arguments");
  for (const flag of ["dataset", "endpoint", "model"] as const) {
    if (!values[flag]) throw new UsageError(`--${flag} is required`);
  }
  const keyEnv = values["api-key-env"] as string | undefined;
  const apiKey = apiKeyFrom(keyEnv);
  const systemFile = values["system-prompt-file"] as string | undefined;
  let systemPrompt: string | undefined;
  if (systemFile !== undefined) {
    try {
      systemPrompt = readFileSync(systemFile, "utf8").replace(/\r?\n$/, "");
    } catch {
      throw new UsageError(`cannot read --system-prompt-file ${systemFile}`);
    }
  }
  const options = Object.fromEntries(
    Object.entries({
      dataset: values.dataset,
      endpoint: values.endpoint,
      model: values.model,
      label: values.label,
      n: values.n,
      temperature: values.temperature,
      top_p: values["top-p"],
      max_tokens: values["max-tokens"],
      seed: values.seed,
      system_prompt: systemPrompt,
      concurrency: values.concurrency,
      api_key_env: keyEnv,
      max_retries: values["max-retries"],
      retry_base_ms: values["retry-base-ms"],
      retry_max_ms: values["retry-max-ms"],
      timeout_ms: values["timeout-ms"],
    }).filter(([, v]) => v !== undefined),
  );
  const cancel = new AbortController();
  const onInterrupt = () => {
    process.stderr.write("\ncancelling: answers already stored are kept; run the same command again to finish\n");
    cancel.abort();
  };
  process.once("SIGINT", onInterrupt);
  const progress = samplingProgressWriter();
  try {
    const summary = await sample(options, { apiKey, signal: cancel.signal, onProgress: progress.update });
    progress.end();
    const failures = samplingFailures(summary.job);
    for (const f of failures.slice(0, 10)) process.stderr.write(`failed: prompt ${f.prompt_external_id} sample ${f.sample_index}: ${f.reason}\n`);
    if (failures.length > 10) process.stderr.write(`… and ${failures.length - 10} more failures (sampling_failures, job ${summary.job})\n`);
    const { dataset, model, requested, sampled, already_present, failed } = summary;
    if (values.json) print({ dataset, model, requested, sampled, already_present, failed });
    else
      process.stdout.write(
        `sampled ${sampled} responses from ${model} into "${dataset}" (${requested} wanted, ${already_present} already there, ${failed} failed${summary.status === "cancelled" ? ", cancelled" : ""})\n`,
      );
    if (summary.status === "cancelled") return 130;
    return failed > 0 ? 1 : 0;
  } catch (error) {
    progress.end();
    throw error;
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}

/** The API key named by --api-key-env, read from the environment so it is never on a command line. */
function apiKeyFrom(keyEnv: string | undefined): string | undefined {
  if (keyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv)) throw new UsageError("--api-key-env takes the name of an environment variable, not the key");
  const apiKey = keyEnv === undefined ? undefined : process.env[keyEnv];
  if (keyEnv !== undefined && !apiKey) throw new UsageError(`the environment variable ${keyEnv} (--api-key-env) is not set`);
  return apiKey;
}

async function judgeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    batch: { type: "string" },
    endpoint: { type: "string" },
    model: { type: "string" },
    template: { type: "string" },
    concurrency: { type: "string" },
    "no-swap": { type: "boolean", default: false },
    temperature: { type: "string" },
    "max-tokens": { type: "string" },
    "parse-retries": { type: "string" },
    "api-key-env": { type: "string" },
    "max-retries": { type: "string" },
    "retry-base-ms": { type: "string" },
    "retry-max-ms": { type: "string" },
    "timeout-ms": { type: "string" },
    json: { type: "boolean", default: false },
  });
  const keyEnv = values["api-key-env"] as string | undefined;
  const apiKey = apiKeyFrom(keyEnv);
  const resume = positionals[0] === "resume";
  if (resume && positionals.length !== 2) throw new UsageError("judge resume takes the run's id");
  if (!resume && positionals.length) throw new UsageError("judge takes no positional arguments (or: judge resume RUN)");
  if (!resume) for (const flag of ["batch", "endpoint", "model"] as const) if (!values[flag]) throw new UsageError(`--${flag} is required`);
  // A template is a built-in name or a file: the file's text is sent, named by its base name.
  const template = values.template as string | undefined;
  let templateText: string | undefined;
  if (template !== undefined && !(template in BUILT_IN_TEMPLATES)) {
    try {
      templateText = readFileSync(template, "utf8");
    } catch {
      throw new UsageError(`--template ${template} is neither a built-in template (${Object.keys(BUILT_IN_TEMPLATES).join(", ")}) nor a readable file`);
    }
  }
  const options = Object.fromEntries(
    Object.entries({
      batch: values.batch,
      endpoint: values.endpoint,
      model: values.model,
      template: templateText === undefined ? template : basename(template!),
      template_text: templateText,
      concurrency: values.concurrency,
      swap: values["no-swap"] ? false : undefined,
      temperature: values.temperature,
      max_tokens: values["max-tokens"],
      parse_retries: values["parse-retries"],
      api_key_env: keyEnv,
      max_retries: values["max-retries"],
      retry_base_ms: values["retry-base-ms"],
      retry_max_ms: values["retry-max-ms"],
      timeout_ms: values["timeout-ms"],
    }).filter(([, v]) => v !== undefined),
  );
  const cancel = new AbortController();
  const onInterrupt = () => {
    process.stderr.write("\ncancelling: verdicts already stored are kept; run `judge resume RUN` to finish\n");
    cancel.abort();
  };
  process.once("SIGINT", onInterrupt);
  const progress = samplingProgressWriter(process.stderr, "judge");
  try {
    const hooks = { apiKey, signal: cancel.signal, onProgress: progress.update };
    const summary = resume ? await runJudgeRun(positionals[1]!, hooks, values.endpoint as string | undefined) : await judgeBatch(options, hooks);
    progress.end();
    const failures = judgeFailures(summary.run);
    for (const f of failures.slice(0, 10)) process.stderr.write(`failed: item ${f.item_id}${f.swapped ? " (swapped)" : ""}: ${f.reason}\n`);
    if (failures.length > 10) process.stderr.write(`… and ${failures.length - 10} more failures (judge run ${summary.run})\n`);
    if (values.json) print(summary);
    else
      process.stdout.write(
        `judge run ${summary.run}: ${summary.judged} verdicts from ${summary.model} (${summary.requested} wanted, ${summary.already_present} already there, ${summary.failed} failed; ${summary.prompt_tokens} prompt and ${summary.completion_tokens} completion tokens${summary.status === "cancelled" ? ", cancelled" : ""})\nstats --batch ${summary.batch} shows how far it agrees with the reviewers\n`,
      );
    if (summary.status === "cancelled") return 130;
    return summary.failed > 0 ? 1 : 0;
  } catch (error) {
    progress.end();
    throw error;
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}

/** The lines of USAGE for one command: its own and their continuation lines (those starting with "["), joined. */
function usageOf(command: string): string {
  const lines: string[] = [];
  let within = false;
  for (const line of USAGE.split("\n").map((l) => l.trim())) {
    within = line.startsWith(`${command} `) || (within && line.startsWith("["));
    if (within) lines.push(line);
  }
  return lines.join(" ");
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const jsonErrors = JSON_ERROR_COMMANDS.has(command ?? "") && rest.includes("--json");
  try {
    if (command === "users") await usersCommand(rest);
    else if (command === "import") await importCommand(rest);
    else if (command === "batches") await batchesCommand(rest);
    else if (command === "tokens") await tokensCommand(rest);
    else if (command === "models") await modelsCommand(rest);
    else if (command === "export") await exportCommand(rest);
    else if (command === "stats") await statsCommand(rest);
    else if (command === "leaderboard") await leaderboardCommand(rest);
    else if (command === "sample") return await sampleCommand(rest);
    else if (command === "judge") return await judgeCommand(rest);
    else if (command === "backup") await backupCommand(rest);
    else if (command === "audit") await auditCommand(rest);
    else if (command === "disputes") await disputesCommand(rest);
    else if (command === "datasets") await datasetsCommand(rest);
    else if (command === "gold") await goldCommand(rest);
    else if (command === undefined || command === "help" || command === "--help") {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    } else throw new UsageError(`unknown command ${command}`);
    return 0;
  } catch (error) {
    if (jsonErrors) {
      if (error instanceof UsageError) {
        print({ error: { code: "usage", message: error.message, details: { usage: usageOf(command!) } } });
        return 2;
      }
      const failure = asServiceError(error);
      if (failure) {
        print(failure.toJSON());
        return 1;
      }
      print({ error: { code: "internal", message: error instanceof Error ? error.message : String(error) } });
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return 1;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ImportRejected) {
      for (const line of error.lines) process.stderr.write(`${line}\n`);
      if (error.count > error.lines.length) process.stderr.write(`… and ${error.count - error.lines.length} more invalid lines\n`);
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    const failure = asServiceError(error);
    if (failure) {
      process.stderr.write(`error: ${failure.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
