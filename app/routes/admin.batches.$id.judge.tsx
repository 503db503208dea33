import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { FieldError, invalidProps as invalid } from "~/components/field-error";
import { ProgressBar } from "~/components/progress-bar";
import { formatFigure, formatInterval } from "~/core/figures";
import { BUILT_IN_TEMPLATES, PLACEHOLDERS } from "~/core/judge/template";
import type { TrustEstimate } from "~/core/judge/trust";
import { requireRole } from "~/services/auth.server";
import { getBatch } from "~/services/batches.server";
import { asServiceError } from "~/services/errors.server";
import { errorResponse } from "~/services/http.server";
import { cancelJudgeRun, judgeRunState, MAX_RUNNING_JUDGE_RUNS, resumeJudgeRun, startJudgeRun, type JudgeRunState } from "~/services/judge-jobs.server";
import { judgeFailures, judgeReports, listJudgeRuns } from "~/services/judge.server";
import adminStyles from "~/styles/admin.css?url";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `LLM judge · ${data?.batch.name ?? ""} · Verdict` }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

const FIELDS = ["endpoint", "model", "template", "template_text", "concurrency", "temperature", "max_tokens", "api_key_env", "swap"] as const;
type Fields = Record<string, string>;

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  try {
    const batch = getBatch(params.id!);
    const now = Date.now();
    const runs = listJudgeRuns(batch.id).map((run) => ({ ...run, state: judgeRunState(run, now) }));
    const selected = new URL(request.url).searchParams.get("run") ?? runs[0]?.id ?? null;
    const run = runs.find((r) => r.id === selected) ?? null;
    const report = run ? (judgeReports(batch.id, { run: run.id })[0] ?? null) : null;
    const failures = run ? judgeFailures(run.id).slice(0, 50) : [];
    return {
      batch: { id: batch.id, name: batch.name, task: batch.task },
      runs,
      run,
      report,
      failures,
      templates: BUILT_IN_TEMPLATES,
      placeholders: PLACEHOLDERS,
      maxRunning: MAX_RUNNING_JUDGE_RUNS,
    };
  } catch (error) {
    throw errorResponse(error);
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  const batchId = params.id!;
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "start");
  const back = (run: string) => redirect(`/admin/batches/${encodeURIComponent(batchId)}/judge?${new URLSearchParams({ run })}`);
  const values: Fields = Object.fromEntries(FIELDS.map((name) => [name, String(form.get(name) ?? "")]));
  try {
    if (intent === "cancel" || intent === "resume") {
      const run = String(form.get("run") ?? "");
      if (!listJudgeRuns(batchId).some((r) => r.id === run)) throw new Response("Not found", { status: 404 });
      if (intent === "cancel") await cancelJudgeRun(run, user.id);
      else resumeJudgeRun(run, user.id);
      return back(run);
    }
    // The template box starts with a built-in template: unchanged, the run names it; edited, it is the run's own.
    const text = values.template_text!.replace(/\r\n/g, "\n");
    const builtIn = Object.entries(BUILT_IN_TEMPLATES).find(([, t]) => t === text)?.[0];
    const options: Record<string, unknown> = Object.fromEntries(
      Object.entries(values).filter(([name, v]) => !["template", "template_text", "swap"].includes(name) && v.trim() !== ""),
    );
    options.swap = values.swap === "on";
    if (builtIn) options.template = builtIn;
    else {
      options.template = values.template!.trim() || "custom";
      options.template_text = text;
    }
    return back(startJudgeRun({ ...options, batch: batchId }, user.id));
  } catch (error) {
    if (error instanceof Response) throw error;
    const failure = asServiceError(error);
    if (!failure) throw error;
    const raw = (failure.details?.fields ?? {}) as Fields;
    // The template's problems belong to the box that holds its text.
    const fields: Fields = { ...raw, ...(raw.template ? { template_text: raw.template } : {}) };
    const known = Object.keys(fields).some((name) => (FIELDS as readonly string[]).includes(name));
    return data({ intent, values, fields, message: known ? "Some fields need a change; see the messages beside them." : failure.message }, { status: failure.status });
  }
}

const STATE_TEXT: Record<JudgeRunState, string> = { running: "running", interrupted: "interrupted — resumable", done: "done", failed: "failed", cancelled: "cancelled" };
const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
const OUTCOMES = { a: "first better", b: "second better", tie: "tie" } as const;

/** "0.750 (0.600 – 0.850, n = 20)", or the reason there is no figure. */
function Estimate({ value, kind = "coefficient" }: { value: TrustEstimate; kind?: "coefficient" | "rate" }) {
  if (value.value === null) return <span className="muted">— {value.reason}</span>;
  return (
    <span>
      <strong>{formatFigure(value.value, kind)}</strong>{" "}
      <span className="muted small">
        ({formatInterval(value.interval, kind)}, n = {formatFigure(value.n, "count")})
      </span>
    </span>
  );
}

export default function JudgePage() {
  const { batch, runs, run, report, failures, templates, placeholders, maxRunning } = useLoaderData<typeof loader>();
  const refused = useActionData<typeof action>();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const fields: Fields = refused?.fields ?? {};
  const sent = refused?.intent === "start" ? refused.values : null;
  const running = runs.some((r) => r.state === "running");
  const base = `/admin/batches/${encodeURIComponent(batch.id)}`;
  const defaultTemplate = batch.task === "pairwise" ? "mt-bench" : "default";

  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle" && document.visibilityState === "visible") revalidator.revalidate();
    }, 1000);
    return () => clearInterval(timer);
  }, [running, revalidator]);

  return (
    <>
      <section className="panel">
        <p className="small">
          <Link to={base}>← {batch.name}</Link>
        </p>
        <div className="panel-title">
          <h1>LLM judge: “{batch.name}”</h1>
          <Link to={`${base}/disputes`}>Disputes</Link>
        </div>
        <p className="muted">
          A model answers this batch&apos;s own task ({batch.task}) about every item, through the prompt template below; pairwise items are judged twice with
          the sides swapped, to measure position bias. Its verdicts never enter the reviewers&apos; statistics or exports; the figures below say how far it
          agrees with them. Runs go on in the server&apos;s background (at most {maxRunning} at once); the same as <code>judge</code> on the command line.
        </p>
        <Form method="post" className="stacked-form judge-form" noValidate aria-label="New judge run">
          {refused?.message && (
            <p className="notice failure" role="alert">
              {refused.message}
            </p>
          )}
          <div className="form-row">
            <div className="field wide">
              <label>
                Endpoint URL
                <input name="endpoint" type="url" required placeholder="http://127.0.0.1:8000/v1" defaultValue={sent?.endpoint} {...invalid("endpoint", fields)} />
              </label>
              <FieldError name="endpoint" fields={fields} />
            </div>
            <div className="field">
              <label>
                Judge model
                <input name="model" required placeholder="gpt-4o" defaultValue={sent?.model} {...invalid("model", fields)} />
              </label>
              <FieldError name="model" fields={fields} />
            </div>
          </div>
          <div className="form-row">
            {(
              [
                ["concurrency", "Concurrency", "4", 1, "1"],
                ["temperature", "Temperature", "0", 0, "any"],
                ["max_tokens", "Max tokens", "", 1, "1"],
              ] as const
            ).map(([name, text, initial, min, step]) => (
              <div className="field" key={name}>
                <label>
                  {text}
                  <input name={name} type="number" min={min} step={step} defaultValue={sent?.[name] ?? initial} {...invalid(name, fields)} />
                </label>
                <FieldError name={name} fields={fields} />
              </div>
            ))}
            <div className="field">
              <label>
                API key variable (optional)
                <input name="api_key_env" placeholder="OPENAI_API_KEY" autoComplete="off" spellCheck={false} defaultValue={sent?.api_key_env} {...invalid("api_key_env", fields)} />
              </label>
              <FieldError name="api_key_env" fields={fields} />
            </div>
          </div>
          {batch.task === "pairwise" && (
            <label className="checkbox">
              <input type="checkbox" name="swap" defaultChecked={sent ? sent.swap === "on" : true} /> Judge each item twice, sides swapped (position bias)
            </label>
          )}
          <div className="field">
            <label>
              Template name (for an edited template)
              <input name="template" placeholder="custom" defaultValue={sent?.template} {...invalid("template", fields)} />
            </label>
          </div>
          <div className="field">
            <label>
              Prompt template
              <textarea name="template_text" rows={12} className="mono" defaultValue={sent?.template_text ?? templates[defaultTemplate]} {...invalid("template_text", fields)} />
            </label>
            <p className="muted small">
              Placeholders: {placeholders.map((p) => `{{${p}}}`).join(", ")}. Built in: {Object.keys(templates).join(", ")} (this box starts with {defaultTemplate}).
            </p>
            <FieldError name="template_text" fields={fields} />
          </div>
          <div>
            <button type="submit" name="intent" value="start" className="primary">
              {navigation.state === "submitting" && navigation.formData?.get("intent") === "start" ? "Starting…" : "Start judging"}
            </button>
          </div>
        </Form>
      </section>

      <section className="panel">
        <h2>Runs</h2>
        {running && (
          <noscript>
            <meta httpEquiv="refresh" content="2" />
          </noscript>
        )}
        {runs.length === 0 ? (
          <p className="muted">No judge runs for this batch yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table" aria-label="Judge runs">
              <thead>
                <tr>
                  <th scope="col">Judge</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Verdicts
                  </th>
                  <th scope="col" className="num">
                    Failed
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col" className="num">
                    Per item
                  </th>
                  <th scope="col">Started</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id} data-run={r.id} data-state={r.state} className={run?.id === r.id ? "just-created" : undefined}>
                    <th scope="row">
                      <Link to={`?${new URLSearchParams({ run: r.id })}`}>{r.model}</Link>
                      <div className="muted small">
                        {r.template} <code title={r.templateHash}>{r.templateHash.slice(0, 8)}</code>
                      </div>
                    </th>
                    <td data-col="state">{STATE_TEXT[r.state]}</td>
                    <td className="num" data-col="judged">
                      {formatFigure(r.judged, "count")}/{formatFigure(r.requested, "count")}
                    </td>
                    <td className="num" data-col="failed">
                      {formatFigure(r.failed, "count")}
                    </td>
                    <td className="num">{r.usd === null ? <span className="muted">no price</span> : formatFigure(r.usd, "usd")}</td>
                    <td className="num">
                      {r.usdPerItem === null ? "—" : formatFigure(r.usdPerItem, "usd")} · {formatFigure(r.secondsPerItem, "seconds")} s
                    </td>
                    <td className="muted">
                      {when(r.createdAt)} {r.createdBy ?? "CLI"}
                    </td>
                    <td>
                      <div className="button-row">
                        {(r.state === "running" || r.state === "interrupted") && (
                          <Form method="post" aria-label={`Cancel run ${r.id}`}>
                            <input type="hidden" name="run" value={r.id} />
                            <button type="submit" name="intent" value="cancel">
                              Cancel
                            </button>
                          </Form>
                        )}
                        {r.state !== "running" && (r.state !== "done" || r.failed > 0) && (
                          <Form method="post" aria-label={`Resume run ${r.id}`}>
                            <input type="hidden" name="run" value={r.id} />
                            <button type="submit" name="intent" value="resume">
                              {r.state === "done" ? "Retry failures" : "Resume"}
                            </button>
                          </Form>
                        )}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {run && report && (
        <section className="panel judge-report" aria-labelledby="report-title" data-testid="judge-report">
          <h2 id="report-title">
            How far to trust {run.model} <span className="muted small">({run.id})</span>
          </h2>
          <ProgressBar
            label={`${STATE_TEXT[run.state]}: ${formatFigure(run.judged, "count")} of ${formatFigure(run.requested, "count")} verdicts`}
            value={run.judged + run.failed}
            max={Math.max(1, run.requested)}
            detail={`${formatFigure(run.failed, "count")} failed · ${formatFigure(report.items_judged, "count")} items judged · answers read: ${
              Object.entries(report.styles)
                .map(([style, n]) => `${style} ${n}`)
                .join(", ") || "none yet"
            }`}
          />
          <div className="table-scroll">
            <table className="data-table" aria-label="Agreement">
              <thead>
                <tr>
                  <th scope="col">Agreement (95% bootstrap interval)</th>
                  <th scope="col">With ties</th>
                  <th scope="col">Without ties</th>
                </tr>
              </thead>
              <tbody>
                <tr data-row="majority">
                  <th scope="row">Judge and the reviewers&apos; majority</th>
                  <td>
                    <Estimate value={report.trust.majority_agreement.with_ties} />
                  </td>
                  <td>
                    <Estimate value={report.trust.majority_agreement.without_ties} />
                  </td>
                </tr>
                <tr data-row="judge-human">
                  <th scope="row">Judge and one reviewer</th>
                  <td>
                    <Estimate value={report.trust.judge_human.with_ties} />
                  </td>
                  <td>
                    <Estimate value={report.trust.judge_human.without_ties} />
                  </td>
                </tr>
                <tr data-row="human-human">
                  <th scope="row">Two reviewers (the baseline)</th>
                  <td>
                    <Estimate value={report.trust.human_human.with_ties} />
                  </td>
                  <td>
                    <Estimate value={report.trust.human_human.without_ties} />
                  </td>
                </tr>
                {report.trust.per_human.map((h) => (
                  <tr key={h.reviewer} data-row={`reviewer-${h.reviewer}`}>
                    <th scope="row">Judge and {h.reviewer}</th>
                    <td>
                      <Estimate value={h.with_ties} />
                    </td>
                    <td>
                      <Estimate value={h.without_ties} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <dl className="job-facts">
            <dt>Cohen&apos;s κ with the majority</dt>
            <dd data-figure="kappa">
              <Estimate value={report.trust.kappa} />
            </dd>
            <dt>Swap consistency</dt>
            <dd data-figure="swap">
              {report.swap_consistency.value === null ? (
                <span className="muted">— {report.swap_consistency.reason}</span>
              ) : (
                <>
                  <strong>{formatFigure(report.swap_consistency.value, "rate")}</strong> of {formatFigure(report.swap_consistency.total, "count")} items the same
                  both ways round; of the inconsistent, {report.swap_consistency.position_bias.first_shown} favoured the response shown first and{" "}
                  {report.swap_consistency.position_bias.second_shown} the one shown second
                </>
              )}
            </dd>
            <dt>Cost</dt>
            <dd>
              {formatFigure(report.cost.prompt_tokens, "count")} prompt and {formatFigure(report.cost.completion_tokens, "count")} completion tokens
              {report.cost.usd !== null ? `, ${formatFigure(report.cost.usd, "usd")} (${formatFigure(report.cost.usd_per_item, "usd")} per item)` : " (set the model's price on the Models page for a cost)"}
              ; {formatFigure(report.cost.seconds_per_item, "seconds")} s per item,{" "}
              {report.cost.human_median_seconds_per_item === null
                ? "no reviewer time recorded to compare"
                : `against a reviewer's median ${formatFigure(report.cost.human_median_seconds_per_item, "seconds")} s`}
            </dd>
          </dl>
          <h3>Confusion matrix</h3>
          <div className="table-scroll">
            <table className="data-table" aria-label="Confusion matrix">
              <thead>
                <tr>
                  <th scope="col">Majority ↓ · judge →</th>
                  {report.trust.confusion.outcomes.map((o) => (
                    <th scope="col" className="num" key={o}>
                      {OUTCOMES[o]}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {report.trust.confusion.outcomes.map((o, i) => (
                  <tr key={o}>
                    <th scope="row">{OUTCOMES[o]}</th>
                    {report.trust.confusion.counts[i]!.map((n, j) => (
                      <td className="num" key={j}>
                        {formatFigure(n, "count")}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted small">{formatFigure(report.trust.confusion.no_majority, "count")} comparisons had no majority among the reviewers.</p>
          <h3>Flags</h3>
          <div className="table-scroll">
            <table className="data-table" aria-label="Flag rates">
              <thead>
                <tr>
                  <th scope="col">Flag</th>
                  <th scope="col" className="num">
                    Judge
                  </th>
                  <th scope="col" className="num">
                    Reviewers
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.flags.map((f) => (
                  <tr key={f.flag} data-flag={f.flag}>
                    <th scope="row">{f.flag}</th>
                    <td className="num">
                      {formatFigure(f.judge.rate, "rate")} <span className="muted small">({f.judge.flagged})</span>
                    </td>
                    <td className="num">
                      {formatFigure(f.humans.rate, "rate")} <span className="muted small">({f.humans.flagged})</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>Triage: the judge and the reviewers differ</h3>
          <p className="muted small">
            These items are in the <Link to={`${base}/disputes`}>disputes queue</Link>, after the items the reviewers split on, with the judge&apos;s answer beside the
            votes (for the latest run).
          </p>
          {report.triage.length === 0 ? (
            <p className="muted">No item.</p>
          ) : (
            <ul className="triage-list" aria-label="Triage">
              {report.triage.slice(0, 100).map((t) => (
                <li key={t.item_id} data-item={t.item_id}>
                  Item {t.position + 1}: {t.reasons.join("; ")}
                </li>
              ))}
            </ul>
          )}
          <h3>Failures</h3>
          {failures.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="failure-list" aria-label="Failures">
              {failures.map((f) => (
                <li key={`${f.item_id}-${f.swapped}`}>
                  Item {f.position + 1}
                  {f.swapped ? " (sides swapped)" : ""}: <span className="failure-reason">{f.reason}</span> after {f.attempts} attempts
                  {f.raw && (
                    <details>
                      <summary>The judge&apos;s answer</summary>
                      <pre className="raw-answer">{f.raw}</pre>
                    </details>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
