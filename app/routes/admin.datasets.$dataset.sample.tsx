import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { ProgressBar } from "~/components/progress-bar";
import { formatFigure } from "~/core/figures";
import { formatDuration } from "~/core/sampling";
import { requireRole } from "~/services/auth.server";
import { asServiceError } from "~/services/errors.server";
import { errorResponse } from "~/services/http.server";
import { cancelSamplingJob, listSamplingJobs, MAX_RUNNING_JOBS, resumeSamplingJob, samplingJob, startSamplingJob, type SamplingJobView } from "~/services/sampling-jobs.server";
import adminStyles from "~/styles/admin.css?url";
import { FieldError, invalidProps as invalid } from "~/components/field-error";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Sample responses ${data?.dataset ?? ""} · Verdict` }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

/** The form's fields, as samplingOptionsSchema names them. */
const FIELDS = ["endpoint", "model", "label", "n", "temperature", "top_p", "max_tokens", "seed", "system_prompt", "concurrency", "api_key_env"] as const;
type Fields = Record<string, string>;

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const dataset = params.dataset!;
  const selected = new URL(request.url).searchParams.get("job");
  try {
    const jobs = listSamplingJobs(dataset);
    const job = selected ? samplingJob(selected) : null;
    if (job && job.dataset !== dataset) throw new Response("Not found", { status: 404 });
    return { dataset, jobs, job, maxRunning: MAX_RUNNING_JOBS };
  } catch (error) {
    if (error instanceof Response) throw error;
    throw errorResponse(error);
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  const dataset = params.dataset!;
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "start");
  const back = (job: string) => redirect(`/admin/datasets/${encodeURIComponent(dataset)}/sample?${new URLSearchParams({ job })}`);
  const values: Fields = Object.fromEntries(FIELDS.map((name) => [name, String(form.get(name) ?? "")]));
  try {
    if (intent === "cancel" || intent === "resume") {
      const job = String(form.get("job") ?? "");
      if (samplingJob(job).dataset !== dataset) throw new Response("Not found", { status: 404 });
      if (intent === "cancel") await cancelSamplingJob(job, user.id);
      else resumeSamplingJob(job, user.id);
      return back(job);
    }
    // A blank field is an option not given (its default), not an empty value: "" would coerce to 0.
    const options = Object.fromEntries(Object.entries(values).filter(([name, v]) => (name === "system_prompt" ? v !== "" : v.trim() !== "")));
    return back(startSamplingJob({ ...options, dataset }, user.id));
  } catch (error) {
    if (error instanceof Response) throw error;
    const failure = asServiceError(error);
    if (!failure) throw error;
    const fields = (failure.details?.fields ?? {}) as Fields;
    const known = Object.keys(fields).some((name) => (FIELDS as readonly string[]).includes(name));
    return data(
      { intent, values, fields, message: known ? "Some fields need a change; see the messages beside them." : failure.message },
      { status: failure.status },
    );
  }
}


const STATE_TEXT: Record<SamplingJobView["state"], string> = {
  running: "running",
  interrupted: "interrupted — resumable",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
};

/** UTC minutes, as the datasets page shows times: the same on the server and in the browser. */
const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

function rateText(job: SamplingJobView): string {
  return job.progress.ratePerSecond === null ? "—" : `${job.progress.ratePerSecond.toFixed(1)}/s`;
}

function etaText(job: SamplingJobView): string {
  if (job.state !== "running") return "—";
  return job.progress.etaMs === null ? "…" : formatDuration(job.progress.etaMs);
}

function JobActions({ job }: { job: SamplingJobView }) {
  return (
    <div className="button-row">
      {job.cancellable && (
        <Form method="post" aria-label={`Cancel job ${job.id}`}>
          <input type="hidden" name="job" value={job.id} />
          <button type="submit" name="intent" value="cancel">
            Cancel
          </button>
        </Form>
      )}
      {job.resumable && (
        <Form method="post" aria-label={`Resume job ${job.id}`}>
          <input type="hidden" name="job" value={job.id} />
          <button type="submit" name="intent" value="resume">
            {job.state === "done" ? "Retry failures" : "Resume"}
          </button>
        </Form>
      )}
    </div>
  );
}

export default function SamplePage() {
  const { dataset, jobs, job, maxRunning } = useLoaderData<typeof loader>();
  const refused = useActionData<typeof action>();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const fields: Fields = refused?.fields ?? {};
  const sent = refused?.intent === "start" ? refused.values : null;
  const running = jobs.some((j) => j.state === "running");
  const base = `/admin/datasets/${encodeURIComponent(dataset)}/sample`;

  // The table is the state: while a job runs, read it again every second.
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
        <div className="panel-title">
          <h1>Sample responses: “{dataset}”</h1>
          <Link to="/admin/datasets">All datasets</Link>
        </div>
        <p className="muted">
          Asks an OpenAI-compatible endpoint for <em>n</em> responses per prompt and stores them under the label, in the server&apos;s background: leave or
          reload the page at will. A job asks only for samples its label is missing, so resuming one never samples twice. At most {maxRunning} jobs run at
          once. The same as <code>sample</code> on the command line.
        </p>
        <Form method="post" className="stacked-form sample-form" noValidate aria-label="New sampling job">
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
                Model
                <input name="model" required placeholder="llama-3.1-8b-instruct" defaultValue={sent?.model} {...invalid("model", fields)} />
              </label>
              <FieldError name="model" fields={fields} />
            </div>
            <div className="field">
              <label>
                Label (blank = the model)
                <input name="label" placeholder="llama-8b@t0.7" defaultValue={sent?.label} {...invalid("label", fields)} />
              </label>
              <FieldError name="label" fields={fields} />
            </div>
          </div>
          <div className="form-row">
            {(
              [
                ["n", "Samples per prompt (n)", "2", 1, "1"],
                ["temperature", "Temperature", "", 0, "any"],
                ["top_p", "Top p", "", 0, "any"],
                ["max_tokens", "Max tokens", "", 1, "1"],
                ["seed", "Seed", "", 0, "1"],
                ["concurrency", "Concurrency", "4", 1, "1"],
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
          </div>
          <div className="field">
            <label>
              System prompt (optional)
              <textarea name="system_prompt" rows={3} defaultValue={sent?.system_prompt} {...invalid("system_prompt", fields)} />
            </label>
            <FieldError name="system_prompt" fields={fields} />
          </div>
          <div className="field">
            <label>
              API key: name of the server&apos;s environment variable (optional)
              <input name="api_key_env" placeholder="OPENAI_API_KEY" autoComplete="off" spellCheck={false} defaultValue={sent?.api_key_env} {...invalid("api_key_env", fields)} />
            </label>
            <p className="muted small" id="api_key_env-help">
              Not the key itself: the server reads the key from this variable of its own environment and sends it only to the endpoint. The key is never
              shown, stored or logged.
            </p>
            <FieldError name="api_key_env" fields={fields} />
          </div>
          <div>
            <button type="submit" name="intent" value="start" className="primary">
              {navigation.state === "submitting" && navigation.formData?.get("intent") === "start" ? "Starting…" : "Start sampling"}
            </button>
          </div>
        </Form>
      </section>

      <section className="panel">
        <div className="panel-title">
          <h2>Jobs</h2>
          <Link to={job ? `${base}?${new URLSearchParams({ job: job.id })}` : base} reloadDocument>
            Refresh
          </Link>
        </div>
        {running && (
          <noscript>
            <meta httpEquiv="refresh" content="2" />
          </noscript>
        )}
        {jobs.length === 0 ? (
          <p className="muted">No sampling jobs for this dataset yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table" aria-label="Sampling jobs">
              <thead>
                <tr>
                  <th scope="col">Label</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Stored
                  </th>
                  <th scope="col" className="num">
                    Failed
                  </th>
                  <th scope="col" className="num">
                    Rate
                  </th>
                  <th scope="col" className="num">
                    ETA
                  </th>
                  <th scope="col">Started</th>
                  <th scope="col">By</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((j) => (
                  <tr key={j.id} data-job={j.id} data-state={j.state} className={job?.id === j.id ? "just-created" : undefined}>
                    <th scope="row">
                      <Link to={`${base}?${new URLSearchParams({ job: j.id })}`}>{j.label}</Link>
                      {j.label !== j.model && <div className="muted small">{j.model}</div>}
                    </th>
                    <td data-col="state">{STATE_TEXT[j.state]}</td>
                    <td className="num" data-col="stored">
                      {formatFigure(j.progress.stored, "count")}/{formatFigure(j.progress.total, "count")} ({j.progress.percent}%)
                    </td>
                    <td className="num" data-col="failed">
                      {formatFigure(j.progress.failed, "count")}
                    </td>
                    <td className="num" data-col="rate">
                      {rateText(j)}
                    </td>
                    <td className="num" data-col="eta">
                      {etaText(j)}
                    </td>
                    <td className="muted">{when(j.createdAt)}</td>
                    <td>{j.createdBy ?? <span className="muted">CLI</span>}</td>
                    <td>
                      <JobActions job={j} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {job && (
        <section className="panel" aria-labelledby="job-title" data-testid="job-detail">
          <h2 id="job-title">
            Job {job.label} <span className="muted small">({job.id})</span>
          </h2>
          <ProgressBar
            label={`${STATE_TEXT[job.state]}: ${formatFigure(job.progress.stored, "count")} of ${formatFigure(job.progress.total, "count")} samples stored`}
            value={job.progress.total - job.progress.remaining}
            max={job.progress.total}
            detail={`${formatFigure(job.progress.failed, "count")} failed, ${formatFigure(job.progress.remaining, "count")} left · rate ${rateText(job)} · ETA ${etaText(job)}`}
          />
          <dl className="job-facts">
            <dt>Endpoint</dt>
            <dd>
              <code>{job.endpoint}</code>
            </dd>
            <dt>Model</dt>
            <dd>{job.model}</dd>
            <dt>Samples per prompt</dt>
            <dd>{job.n}</dd>
            <dt>Concurrency</dt>
            <dd>{job.concurrency}</dd>
            <dt>API key from</dt>
            <dd>{job.apiKeyEnv ? <code>{job.apiKeyEnv}</code> : <span className="muted">no key</span>}</dd>
            <dt>Started</dt>
            <dd>
              {when(job.createdAt)} by {job.createdBy ?? "the CLI"}
              {job.finishedAt !== null && `; finished ${when(job.finishedAt)}`}
            </dd>
          </dl>
          {job.state === "interrupted" && (
            <p className="notice failure" role="note">
              This job stopped without finishing (its process ended: a server restart, or a CLI run killed). Resume samples only what is still missing.
            </p>
          )}
          <JobActions job={job} />
          <h3>Failures of the latest run</h3>
          {job.failures.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <div className="table-scroll">
              <table className="data-table" aria-label="Failures">
                <thead>
                  <tr>
                    <th scope="col">Prompt</th>
                    <th scope="col" className="num">
                      Sample
                    </th>
                    <th scope="col" className="num">
                      Status
                    </th>
                    <th scope="col">Reason</th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {job.failures.map((f) => (
                    <tr key={`${f.prompt_id}-${f.sample_index}`}>
                      <th scope="row">{f.prompt_external_id}</th>
                      <td className="num">{f.sample_index}</td>
                      <td className="num">{f.status ?? "—"}</td>
                      <td className="failure-reason">{f.reason}</td>
                      <td className="num">{f.attempts}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </>
  );
}
