import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Markdown } from "~/components/markdown";
import { formatFigure } from "~/core/figures";
import { requireRole } from "~/services/auth.server";
import { browseDataset, metadataFields, modelSummary, type BrowseQuery } from "~/services/dataset-browse.server";
import { asServiceError } from "~/services/errors.server";
import { setPromptGold } from "~/services/gold.server";
import { errorResponse } from "~/services/http.server";
import adminStyles from "~/styles/admin.css?url";
import judgingStyles from "~/styles/judging.css?url";
import datasetStyles from "~/styles/dataset.css?url";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.page.dataset ?? "Dataset"} · Verdict` }];
export const links: LinksFunction = () => [
  { rel: "stylesheet", href: adminStyles },
  { rel: "stylesheet", href: judgingStyles },
  { rel: "stylesheet", href: datasetStyles },
];

const PARAMS = ["q", "model", "field", "value", "after", "before", "limit"] as const;
type Query = Partial<Record<(typeof PARAMS)[number], string>>;

/** A dataset's prompts with their responses, searched and filtered, paged on the server by cursor. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const name = params.dataset!;
  const search = new URL(request.url).searchParams;
  const query: Query = Object.fromEntries(PARAMS.flatMap((key) => (search.get(key) ? [[key, search.get(key)!]] : [])));
  try {
    const models = modelSummary(name);
    const fields = metadataFields(name);
    try {
      return data({ page: browseDataset(name, query as BrowseQuery), models, fields, query, invalid: {} as Record<string, string> });
    } catch (error) {
      const failure = asServiceError(error);
      if (failure?.code !== "invalid") throw error;
      const invalid = (failure.details?.fields ?? {}) as Record<string, string>;
      return data({ page: browseDataset(name, { limit: query.limit && !invalid.limit ? query.limit : undefined }), models, fields, query, invalid }, { status: 400 });
    }
  } catch (error) {
    throw errorResponse(error);
  }
}

/**
 * Sets or clears one prompt's gold answer: the best response, or "tie", or none. Batches made
 * from the dataset afterwards turn it into gold items. The notice is built here, not read from
 * the URL.
 */
export async function action({ request }: ActionFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const form = await request.formData();
  const promptId = String(form.get("prompt_id") ?? "");
  const best = String(form.get("best") ?? "");
  try {
    const saved = setPromptGold(promptId, best === "" ? null : { best }, admin.id);
    return data({ promptId, notice: saved.gold_answer ? "Saved the gold answer: batches made from now on check reviewers with it." : "The prompt has no gold answer now.", error: null });
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure || failure.code === "not_found") throw errorResponse(error);
    return data({ promptId, notice: null, error: failure.message }, { status: failure.status });
  }
}

export default function DatasetPage() {
  const { page, models, fields, query, invalid } = useLoaderData<typeof loader>();
  const saved = useActionData<typeof action>();
  const base = `/admin/datasets/${encodeURIComponent(page.dataset)}`;
  const link = (cursor: { after?: string; before?: string }) => {
    const params = new URLSearchParams(Object.entries(query).filter(([key]) => key !== "after" && key !== "before") as [string, string][]);
    if (cursor.after) params.set("after", cursor.after);
    if (cursor.before) params.set("before", cursor.before);
    return `${base}${params.size ? `?${params}` : ""}`;
  };
  const filtered = Boolean(query.q || query.model || query.field);
  const responses = models.reduce((sum, m) => sum + m.responses, 0);
  return (
    <>
      <section className="panel">
        <div className="panel-title dataset-title">
          <h1>Dataset “{page.dataset}”</h1>
          <Link to="/admin/datasets">All datasets</Link>
        </div>
        <p className="button-row">
          <Link className="button primary" to={`/admin/batches/new?dataset=${encodeURIComponent(page.dataset)}`}>
            Create a batch from this dataset
          </Link>
          <Link to={`${base}/leaderboard`}>Leaderboard</Link>
          <Link to={`${base}/quality`}>Quality</Link>
          <Link to={`${base}/sample`}>Sample responses</Link>
        </p>
        <h2>Models</h2>
        {models.length === 0 ? (
          <p className="muted">No responses yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table" aria-label="Models">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">Responses</th>
                  <th scope="col" className="num">Mean length (characters)</th>
                  <th scope="col" className="num">Mean output tokens</th>
                </tr>
              </thead>
              <tbody>
                {models.map((m) => (
                  <tr key={m.model} data-model={m.model}>
                    <th scope="row">{m.model}</th>
                    <td className="num" data-col="responses">{formatFigure(m.responses, "count")}</td>
                    <td className="num" data-col="chars">{formatFigure(Math.round(m.mean_chars), "count")}</td>
                    <td className="num" data-col="tokens">{m.mean_output_tokens === null ? <span className="muted">not recorded</span> : formatFigure(Math.round(m.mean_output_tokens), "count")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted small">{formatFigure(responses, "count")} responses in all. Also from the command line: <code>datasets show {page.dataset} --json</code>.</p>
      </section>
      <section className="panel">
        <h2>Prompts</h2>
        <Form method="get" className="inline-form dataset-filters" aria-label="Search and filter the prompts">
          <label>
            Search{" "}
            <input type="search" name="q" defaultValue={query.q ?? ""} placeholder="words in prompts or responses" aria-invalid={invalid.q ? true : undefined} />
          </label>
          <label>
            Model{" "}
            <select name="model" defaultValue={query.model ?? ""}>
              <option value="">any</option>
              {models.map((m) => (
                <option key={m.model} value={m.model}>
                  {m.model}
                </option>
              ))}
            </select>
          </label>
          <label>
            Metadata{" "}
            <input name="field" list="metadata-fields" defaultValue={query.field ?? ""} placeholder="field" aria-invalid={invalid.field ? true : undefined} />
          </label>
          <datalist id="metadata-fields">
            {fields.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
          <label>
            ={" "}
            <input name="value" defaultValue={query.value ?? ""} placeholder="value" aria-label="Metadata value" />
          </label>
          <button type="submit">Search</button>
          {filtered && <Link to={base}>Clear</Link>}
        </Form>
        {Object.keys(invalid).length > 0 && (
          <p className="notice failure" role="alert">
            {Object.entries(invalid)
              .map(([field, reason]) => `${field}: ${reason}`)
              .join("; ")}{" "}
            — showing every prompt instead.
          </p>
        )}
        <p role="status">
          {page.total === 0
            ? filtered
              ? "No prompt matches."
              : "No prompts."
            : `${page.totalExact ? formatFigure(page.total, "count") : `More than ${formatFigure(page.total, "count")}`} ${filtered ? "matching " : ""}prompt${page.total === 1 ? "" : "s"}; ${formatFigure(page.prompts.length, "count")} on this page.`}
        </p>
        <ol className="dataset-prompts" aria-label="Prompts">
          {page.prompts.map((prompt) => (
            <li key={prompt.id} className="dataset-prompt" data-prompt={prompt.external_id}>
              <header>
                <h3>{prompt.external_id}</h3>
                {Object.keys(prompt.metadata).length > 0 && <code className="prompt-metadata">{JSON.stringify(prompt.metadata)}</code>}
              </header>
              {prompt.messages.map((message, i) => (
                <div key={i} className="prompt-turn">
                  <div className="turn-role">{message.role}</div>
                  <Markdown text={message.content} />
                </div>
              ))}
              <div className="dataset-responses" aria-label={`Responses to ${prompt.external_id}`}>
                {prompt.responses.length === 0 && <p className="muted">No responses.</p>}
                {prompt.responses.map((response) => (
                  <article key={response.id} className="dataset-response" data-model={response.model}>
                    <h4>{response.model}</h4>
                    <Markdown text={response.text} />
                  </article>
                ))}
              </div>
              {prompt.responses.length > 0 && (
                <Form method="post" className="inline-form gold-form" aria-label={`Gold answer of ${prompt.external_id}`}>
                  <input type="hidden" name="prompt_id" value={prompt.id} />
                  <label>
                    Gold answer{" "}
                    <select name="best" defaultValue={typeof prompt.gold_answer?.best === "string" ? prompt.gold_answer.best : ""}>
                      <option value="">None (not a check item)</option>
                      {prompt.responses.map((response) => (
                        <option key={response.id} value={response.id}>
                          Best: {response.model} ({response.external_id})
                        </option>
                      ))}
                      <option value="tie">A tie</option>
                    </select>
                  </label>
                  <button type="submit">Save gold answer</button>
                  {prompt.gold_answer && <span className="gold-badge">gold</span>}
                  {saved?.promptId === prompt.id && (
                    <span role={saved.error ? "alert" : "status"} data-gold-notice className={saved.error ? "field-error" : "notice"}>
                      {saved.error ?? saved.notice}
                    </span>
                  )}
                </Form>
              )}
            </li>
          ))}
        </ol>
        <nav className="pager" aria-label="Pages of prompts">
          {(page.previous || query.after || query.before) && <Link to={link({})}>« First</Link>}
          {page.previous && <Link to={link({ before: page.previous })}>← Previous</Link>}
          {page.next && <Link to={link({ after: page.next })}>Next →</Link>}
        </nav>
      </section>
    </>
  );
}
