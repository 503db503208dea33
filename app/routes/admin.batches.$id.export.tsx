import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { requireRole } from "~/services/auth.server";
import { errorResponse } from "~/services/http.server";
import { getBatch } from "~/services/batches.server";
import { listJudgeRuns } from "~/services/judge.server";
import { asServiceError } from "~/services/errors.server";
import { EXPORT_FORMAT_DESCRIPTIONS, EXPORT_FORMATS, listExports, parseCardOptions, previewExport } from "~/services/exports.server";
import { HUB_LICENSES } from "~/core/formats/export/licenses";
import { FILE_FORMAT_DESCRIPTIONS, FILE_FORMAT_MEDIA, FILE_FORMATS, parseFileFormat, type FileFormat } from "~/services/export-files.server";
import adminStyles from "~/styles/admin.css?url";
import { formatFigure } from "~/core/figures";
import { INVALID_REASONS, type InvalidCounts, type InvalidReason } from "~/core/formats/export/validity";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Export ${data?.batch.name ?? ""} · Verdict` }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

const DEFAULTS = { format: "trl-preference-chat", file_format: "jsonl", consensus: "majority", ties: "drop", min_agreement: "0", source: "judgments", exclude_flags: "", include_gold: "", exclude_paused_reviewers: "", min_strength: "0", with_ids: "", keep_invalid: "", only_unsolved: "", with_text: "", include_skipped: "", include_context: "", judged_by: "human", judge_run: "" };
/** The card's options: they shape the dataset card only, so the download link leaves them out. */
const CARD_KEYS = ["license", "license_name", "license_link"] as const;
const CARD_DEFAULTS = { license: "", license_name: "", license_link: "" };
const PREVIEW_ROWS = 3;

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const url = new URL(request.url);
  // Flags come as one checkbox each (exclude_flags=a&exclude_flags=b) or comma-separated from a shared link.
  const excluded = [...new Set(url.searchParams.getAll("exclude_flags").flatMap((v) => v.split(",")).map((f) => f.trim()).filter(Boolean))];
  const single = Object.fromEntries([...url.searchParams].filter(([k, v]) => v !== "" && k !== "exclude_flags"));
  const chosen = { ...DEFAULTS, ...CARD_DEFAULTS, ...single, exclude_flags: excluded.join(",") };
  // The judge run select stays on the form whoever judged; it means something only for llm-judge and both.
  const options = Object.fromEntries(Object.entries(chosen).filter(([k, v]) => v !== "" && !(k === "judge_run" && chosen.judged_by === "human")));
  const exportOnly = Object.fromEntries(Object.entries(options).filter(([k]) => !(CARD_KEYS as readonly string[]).includes(k)));
  try {
    const batch = getBatch(params.id!);
    // What the card says without a choice (the dataset's import licence, else unknown), and
    // whether the licence chosen here is one the card can carry.
    const defaultLicense = parseCardOptions(batch.id, {}).license;
    let cardError: string | null = null;
    try {
      parseCardOptions(batch.id, options);
    } catch (e) {
      const failure = asServiceError(e);
      if (!failure) throw e;
      cardError = failure.message;
    }
    let preview: ReturnType<typeof previewExport> | null = null;
    let error: string | null = null;
    let fileFormat: FileFormat = "jsonl";
    try {
      fileFormat = parseFileFormat(options);
      preview = previewExport(batch.id, options, PREVIEW_ROWS);
    } catch (e) {
      const failure = asServiceError(e);
      if (!failure) throw e;
      error = failure.message;
    }
    return {
      batch: { id: batch.id, name: batch.name, task: batch.task, flags: [...new Set([...batch.config.flags, ...excluded])] },
      chosen,
      excluded,
      query: new URLSearchParams(exportOnly as Record<string, string>).toString(),
      cardQuery: new URLSearchParams(options as Record<string, string>).toString(),
      defaultLicense,
      cardError,
      licenses: HUB_LICENSES.filter((id) => id !== "unknown"),
      preview,
      error,
      formats: EXPORT_FORMATS.map((id) => ({ id, description: EXPORT_FORMAT_DESCRIPTIONS[id] })),
      fileFormats: FILE_FORMATS.map((id) => ({ id, label: FILE_FORMAT_MEDIA[id].label, description: FILE_FORMAT_DESCRIPTIONS[id] })),
      fileLabel: FILE_FORMAT_MEDIA[fileFormat].label,
      history: listExports(batch.id),
      judgeRuns: listJudgeRuns(batch.id).map((r) => ({ id: r.id, model: r.model, status: r.status, createdAt: r.createdAt })),
    };
  } catch (e) {
    throw errorResponse(e);
  }
}

const INVALID_WORDS: Record<InvalidReason, string> = {
  empty_prompt: "an empty prompt",
  system_only_prompt: "a prompt of only a system message",
  consecutive_roles: "two turns of one role in a row",
};

/** "2 with an empty prompt, 1 with two turns of one role in a row", for the rows a trainer would fail on. */
function invalidSummary(invalid: InvalidCounts): string | null {
  const parts = INVALID_REASONS.filter((r) => invalid[r] > 0).map((r) => `${formatFigure(invalid[r], "count")} with ${INVALID_WORDS[r]}`);
  return parts.length ? parts.join(", ") : null;
}

/** "first 3 of 2,312 rows", or all of them when there are no more than the preview shows. */
function previewCaption(shown: number, total: number): string {
  const rows = (n: number) => `${formatFigure(n, "count")} ${n === 1 ? "row" : "rows"}`;
  if (total === 0) return "no rows";
  return total <= shown ? `all ${rows(total)}` : `first ${formatFigure(shown, "count")} of ${rows(total)}`;
}

export default function ExportPage() {
  const { batch, chosen, excluded, query, cardQuery, defaultLicense, cardError, licenses, preview, error, formats, fileFormats, fileLabel, history, judgeRuns } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  return (
    <>
      <section className="panel">
        <div className="panel-title">
          <h1>Export “{batch.name}”</h1>
          <Link to="/admin/batches">All batches</Link>
        </div>
        <Form method="get" className="stacked-form" aria-label="Export options">
          <fieldset className="format-choice">
            <legend>Format</legend>
            {formats.map((f) => (
              <label key={f.id} className="format-option">
                <input type="radio" name="format" value={f.id} defaultChecked={chosen.format === f.id} />
                <span>
                  <code>{f.id}</code>
                  <span className="format-description">{f.description}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="form-row">
            <label>
              File format
              <select name="file_format" defaultValue={chosen.file_format}>
                {fileFormats.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.label}: {f.description}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="form-row">
            <label>
              Consensus
              <select name="consensus" defaultValue={chosen.consensus}>
                <option value="majority">majority: one row per item where most reviewers agree</option>
                <option value="unanimous">unanimous: every reviewer agrees</option>
                <option value="all">all: one row per reviewer pair</option>
              </select>
            </label>
            <label>
              Minimum agreement
              <input name="min_agreement" type="number" min={0} max={1} step={0.05} defaultValue={chosen.min_agreement} />
            </label>
            <label>
              Ties
              <select name="ties" defaultValue={chosen.ties}>
                <option value="drop">drop</option>
                <option value="keep">keep (rankings, judgments)</option>
              </select>
            </label>
            <label>
              Source
              <select name="source" defaultValue={chosen.source}>
                <option value="judgments">reviewers' judgments</option>
                <option value="imported">the dataset's own pairs</option>
                <option value="both">both</option>
              </select>
            </label>
            <label>
              Judged by
              <select name="judged_by" defaultValue={chosen.judged_by}>
                <option value="human">reviewers</option>
                <option value="llm-judge">LLM judge (its run&apos;s verdicts instead)</option>
                <option value="both">both (the judge as one more reviewer)</option>
              </select>
            </label>
            {judgeRuns.length > 0 && (
              <label>
                Judge run
                <select name="judge_run" defaultValue={chosen.judge_run}>
                  <option value="">the latest</option>
                  {judgeRuns.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.model}, {new Date(r.createdAt).toISOString().slice(0, 16).replace("T", " ")} ({r.status})
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
          <fieldset>
            <legend>Leave out pairs whose chosen response a reviewer flagged as</legend>
            {batch.flags.length === 0 ? (
              <p className="muted small">This batch has no flags.</p>
            ) : (
              <div className="checkbox-grid">
                {batch.flags.map((flag) => (
                  <label key={flag} className="checkbox">
                    <input type="checkbox" name="exclude_flags" value={flag} defaultChecked={excluded.includes(flag)} /> {flag}
                  </label>
                ))}
              </div>
            )}
          </fieldset>
          <fieldset>
            <legend>Training rows</legend>
            <div className="form-row">
              <label>
                Minimum strength
                <select name="min_strength" defaultValue={chosen.min_strength}>
                  <option value="0">any</option>
                  <option value="1">slightly better or more</option>
                  <option value="2">clearly better or more</option>
                  <option value="3">much better</option>
                </select>
              </label>
              <label className="checkbox">
                <input type="checkbox" name="with_ids" value="1" defaultChecked={chosen.with_ids === "1"} /> Add ids (prompt, models, reviewers, batch)
              </label>
              <label className="checkbox">
                <input type="checkbox" name="keep_invalid" value="1" defaultChecked={chosen.keep_invalid === "1"} /> Keep rows a trainer would fail on
              </label>
              <label className="checkbox">
                <input type="checkbox" name="only_unsolved" value="1" defaultChecked={chosen.only_unsolved === "1"} /> Only unsolved prompts (prompts)
              </label>
            </div>
          </fieldset>
          <fieldset aria-describedby="card-help">
            <legend>Dataset card</legend>
            <p id="card-help" className="muted small">
              The Hugging Face card (README.md) that describes the file: its licence, rows, sha256 and the batch&apos;s agreement. A
              licence the Hub does not list is <code>other</code> with a lowercase id and a link (a URL, or a file in the repository such
              as <code>LICENSE.md</code>).
            </p>
            <div className="form-row">
              <label>
                Licence
                <select name="license" defaultValue={chosen.license}>
                  <option value="">the dataset&apos;s: {defaultLicense}</option>
                  {licenses.map((id) => (
                    <option key={id} value={id}>
                      {id}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Licence name (for other)
                <input name="license_name" defaultValue={chosen.license_name} placeholder="my-license-1.0" />
              </label>
              <label>
                Licence link (for other)
                <input name="license_link" defaultValue={chosen.license_link} placeholder="https://… or LICENSE.md" />
              </label>
            </div>
            {cardError && (
              <p className="notice failure" role="alert" data-testid="card-error">
                {cardError}
              </p>
            )}
          </fieldset>
          <div className="form-row">
            <label className="checkbox">
              <input type="checkbox" name="include_gold" value="1" defaultChecked={chosen.include_gold === "1"} /> Include gold items
            </label>
            <label className="checkbox">
              <input type="checkbox" name="exclude_paused_reviewers" value="1" defaultChecked={chosen.exclude_paused_reviewers === "1"} /> Leave out paused reviewers
            </label>
            <label className="checkbox">
              <input type="checkbox" name="with_text" value="1" defaultChecked={chosen.with_text === "1"} /> Prompt and response texts (judgments)
            </label>
            <label className="checkbox">
              <input type="checkbox" name="include_skipped" value="1" defaultChecked={chosen.include_skipped === "1"} /> Skipped items (judgments)
            </label>
            <label className="checkbox">
              <input type="checkbox" name="include_context" value="1" defaultChecked={chosen.include_context === "1"} /> Include sources of truth (reference, context)
            </label>
            <button type="submit">{navigation.state === "loading" ? "Counting…" : "Preview"}</button>
          </div>
        </Form>
      </section>
      <section className="panel" aria-label="Preview">
        {error ? (
          <p className="notice failure" role="alert">
            {error}
          </p>
        ) : preview ? (
          <>
            <div className="panel-title">
              <h2>
                Preview: <span data-testid="export-preview-caption">{previewCaption(preview.rows.length, preview.total)}</span>
              </h2>
              <div className="button-row">
                {!cardError && (
                  <a className="button" href={`/admin/batches/${batch.id}/export/card?${cardQuery}`} target="_blank" rel="noopener noreferrer">
                    Dataset card
                  </a>
                )}
                <a className="button primary" href={`/admin/batches/${batch.id}/export/download?${query}`} download>
                  Download {fileLabel}
                </a>
              </div>
            </div>
            {invalidSummary(preview.invalid) && (
              <p className="notice" data-testid="export-invalid">
                {chosen.keep_invalid === "1" ? "Kept, though a trainer would fail on them: " : "Left out, because a trainer would fail on them: "}
                {invalidSummary(preview.invalid)}.
              </p>
            )}
            {preview.rows.length === 0 ? (
              <p className="muted">No rows match these options.</p>
            ) : (
              <ol className="export-preview">
                {preview.rows.map((row, i) => (
                  <li key={i}>
                    <pre>{JSON.stringify(row, null, 2)}</pre>
                  </li>
                ))}
              </ol>
            )}
          </>
        ) : null}
      </section>
      {history.length > 0 && (
        <section className="panel">
          <h2>Earlier exports</h2>
          <div className="table-scroll"><table className="data-table" aria-label="Earlier exports">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Format</th>
                <th scope="col">File</th>
                <th scope="col" className="num">Rows</th>
                <th scope="col">sha256</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {history.map((e) => (
                <tr key={e.id}>
                  <td>{new Date(e.createdAt).toISOString().slice(0, 19).replace("T", " ")}</td>
                  <td>{e.format}</td>
                  <td>{typeof e.options.file_format === "string" ? e.options.file_format : "jsonl"}</td>
                  <td className="num">{formatFigure(e.rows, "count")}</td>
                  <td>
                    <code className="small">{e.sha256.slice(0, 16)}…</code>
                  </td>
                  <td>{e.createdBy ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        </section>
      )}
    </>
  );
}
