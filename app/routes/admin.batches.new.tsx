import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { RubricEditor } from "~/components/admin/rubric-editor";
import { batchFromForm, rubricRows } from "~/core/tasks/batch-form";
import { DEFAULT_ASPECTS, DEFAULT_FLAGS } from "~/core/tasks/config";
import { requireRole } from "~/services/auth.server";
import { createBatch, previewBatch, type BatchPlan } from "~/services/batches.server";
import { createArenaBatch } from "~/services/arena.server";
import { listDatasets } from "~/services/datasets.server";
import { asServiceError } from "~/services/errors.server";
import { listUsers } from "~/services/users.server";
import adminStyles from "~/styles/admin.css?url";
import { formatFigure } from "~/core/figures";
import { DEFAULT_SEED } from "~/core/pairing/selection";
import { DEFAULT_ROUND_SIZE, DEFAULT_ROUNDS } from "~/core/pairing/adaptive";
import { FieldError, invalidProps as invalid } from "~/components/field-error";

export const meta: MetaFunction = () => [{ title: "New batch · Verdict" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return {
    // ?dataset=NAME (the dataset page's "create a batch" link) preselects that dataset.
    preselected: new URL(request.url).searchParams.get("dataset") ?? undefined,
    datasets: listDatasets().map((d) => ({ name: d.name, prompts: d.prompts, models: d.models })),
    users: listUsers().filter((u) => !u.disabled).map((u) => ({ username: u.username, displayName: u.displayName, role: u.role })),
  };
}

const text = z.string().default("");
const all = (form: FormData, name: string) => form.getAll(name).map(String);
const formSchema = z.object({
  name: text,
  dataset: text,
  task: text,
  overlap: text,
  pairing: text,
  models: text,
  pairs: text,
  sample: text,
  stratify: text,
  seed: text,
  roundSize: text,
  adaptiveItems: text,
  intent: text,
  scale: text,
  flags: text,
  rationaleRequired: z.literal("on").optional(),
  rationaleMinLength: text,
  showModelNames: z.literal("on").optional(),
  unsupportedClaims: z.literal("on").optional(),
  guidelines: text,
  overallRow: text,
  goldRate: text,
  goldThreshold: text,
  goldMinItems: text,
  goldTolerance: text,
  selfConsistencyShare: text,
  advanced: text,
  arenaDataset: text,
  endpoints: text,
});

type Fields = Record<string, string>;

/** The figures the Preview button shows: what Create would make, computed by the same service without writing. */
type Preview = Pick<BatchPlan, "items" | "judgmentsNeeded" | "prompts" | "skipped" | "strata" | "notes" | "adaptive"> & { overlap: number };

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  const form = await request.formData();
  const parsed = formSchema.safeParse(Object.fromEntries([...form].filter(([, v]) => typeof v === "string")));
  const none = null as Preview | null;
  if (!parsed.success) return data({ fields: {} as Fields, values: null, preview: none, message: "The form arrived incomplete; reload the page and try again." }, { status: 400 });
  const [keys, labels, mins, maxes] = ["aspectKey", "aspectLabel", "aspectMin", "aspectMax"].map((name) => all(form, name));
  const values = {
    ...parsed.data,
    reviewers: all(form, "reviewers"),
    rationaleRequired: parsed.data.rationaleRequired === "on",
    showModelNames: parsed.data.showModelNames === "on",
    unsupportedClaims: parsed.data.unsupportedClaims === "on",
    rubric: keys!.map((key, i) => ({ key, label: labels![i] ?? "", min: mins![i] ?? "", max: maxes![i] ?? "" })),
  };
  if (parsed.data.task === "arena") return arenaAction(values, user.id);
  const result = batchFromForm(values);
  if (!result.ok) return data({ fields: result.fields, values, preview: none, message: "Some fields need a change; see the messages beside them." }, { status: 400 });
  try {
    if (parsed.data.intent === "preview") {
      const plan = previewBatch(result.batch);
      const preview: Preview = { items: plan.items, judgmentsNeeded: plan.judgmentsNeeded, prompts: plan.prompts, skipped: plan.skipped, strata: plan.strata, notes: plan.notes, adaptive: plan.adaptive, overlap: result.batch.overlap };
      return data({ fields: {} as Fields, values, preview, message: null as string | null });
    }
    const batch = createBatch(result.batch, user.id);
    return redirect(`/admin/batches?${new URLSearchParams({ created: batch.id, skipped: String(batch.skipped) })}#batch-${batch.id}`);
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    const serviceFields = (failure.details?.fields as Fields | undefined) ?? {};
    const fields = Object.fromEntries(Object.entries(serviceFields).map(([field, message]) => [result.fieldOf(field), message]));
    // A message the form shows beside a field is not repeated at the top.
    return data(
      { fields, values, preview: none, message: Object.keys(fields).length ? "Some fields need a change; see the messages beside them." : failure.message },
      { status: failure.status },
    );
  }
}

/**
 * An arena batch from the form: the pairwise settings (scale, flags, rationale, guidelines) as
 * for a pairwise batch, the dataset named (created when new) and the endpoints as JSON.
 */
function arenaAction(values: Parameters<typeof batchFromForm>[0] & { arenaDataset: string; endpoints: string; intent: string }, actorId: string) {
  const none = null as Preview | null;
  const fields: Fields = {};
  const pairwise = batchFromForm({ ...values, task: "pairwise", dataset: values.arenaDataset, overlap: "1", pairing: "first-two", sample: "", stratify: "" });
  if (!pairwise.ok) Object.assign(fields, pairwise.fields);
  let endpoints: unknown = undefined;
  try {
    endpoints = JSON.parse(values.endpoints || "null");
  } catch {
    fields.endpoints = "not JSON: a list of {\"label\", \"url\", \"model\", \"api_key_env\"?, \"temperature\"?, \"max_tokens\"?}";
  }
  if (!values.arenaDataset.trim()) fields.arenaDataset = "name the dataset the votes go to (created when new)";
  if (values.intent === "preview") fields.task = "an arena has nothing to preview: its items are made by the reviewers' prompts";
  if (Object.keys(fields).length || !pairwise.ok) return data({ fields, values, preview: none, message: "Some fields need a change; see the messages beside them." }, { status: 400 });
  try {
    const batch = createArenaBatch({ dataset: values.arenaDataset, name: values.name, reviewers: values.reviewers, endpoints, config: pairwise.batch.config }, actorId);
    return redirect(`/admin/batches?${new URLSearchParams({ created: batch.id, skipped: "0" })}#batch-${batch.id}`);
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    const serviceFields = (failure.details?.fields as Fields | undefined) ?? {};
    const mapped: Fields = {};
    for (const [field, message] of Object.entries(serviceFields)) {
      // Each endpoint problem goes beside the one JSON box, saying which endpoint and field.
      const key = field.startsWith("endpoints") ? "endpoints" : field === "dataset" ? "arenaDataset" : pairwise.fieldOf(field);
      const said = key === "endpoints" && field !== "endpoints" ? `${field}: ${message}` : message;
      mapped[key] = mapped[key] ? `${mapped[key]}; ${said}` : said;
    }
    return data(
      { fields: mapped, values, preview: none, message: Object.keys(mapped).length ? "Some fields need a change; see the messages beside them." : failure.message },
      { status: failure.status },
    );
  }
}


function PreviewFigures({ preview }: { preview: Preview }) {
  const f = (n: number) => formatFigure(n, "count");
  if (preview.adaptive) {
    // Adaptive: only the first round exists at creation; the budget bounds what follows.
    const { roundSize, budget } = preview.adaptive;
    return (
      <output className="notice batch-preview" aria-live="polite" data-testid="batch-preview">
        <strong>
          {f(preview.items)} {preview.items === 1 ? "item" : "items"} in the first round, up to {f(preview.judgmentsNeeded)} {preview.judgmentsNeeded === 1 ? "judgment" : "judgments"} needed
        </strong>{" "}
        (up to {f(budget)} items × overlap {preview.overlap}, in rounds of {f(roundSize)}) from {f(preview.prompts)} {preview.prompts === 1 ? "prompt" : "prompts"} so far. Later rounds go to
        the model pairs whose order is least certain. Nothing is created until you press Create batch.
      </output>
    );
  }
  return (
    <output className="notice batch-preview" aria-live="polite" data-testid="batch-preview">
      <strong>
        {f(preview.items)} {preview.items === 1 ? "item" : "items"}, {f(preview.judgmentsNeeded)} {preview.judgmentsNeeded === 1 ? "judgment" : "judgments"} needed
      </strong>{" "}
      ({f(preview.items)} × overlap {preview.overlap}) from {f(preview.prompts)} {preview.prompts === 1 ? "prompt" : "prompts"}
      {preview.skipped > 0 && `; ${f(preview.skipped)} ${preview.skipped === 1 ? "prompt does" : "prompts do"} not fit`}. Nothing is created until you press Create batch.
      {preview.strata.length > 0 && (
        <span className="small"> Per stratum: {preview.strata.map((s) => `${s.value} ${f(s.taken)} of ${f(s.available)}`).join(", ")}.</span>
      )}
      {preview.notes.map((note) => (
        <span key={note} className="small"> {note.charAt(0).toUpperCase() + note.slice(1)}.</span>
      ))}
    </output>
  );
}

export default function NewBatch() {
  const { datasets, users, preselected } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const fields: Fields = result?.fields ?? {};
  // What was sent, for a page rendered afresh after a refused form (no JavaScript); with scripts the fields simply keep their values.
  const sent = result?.values ?? null;
  const preview = result?.preview ?? null;
  const submitting = navigation.state === "submitting";
  const previewing = submitting && navigation.formData?.get("intent") === "preview";
  return (
    <section className="panel">
      <h1>New batch</h1>
      {/* Fields marked data-task show only for their task (CSS :has on the task select, so it works before scripts load). */}
      <Form method="post" className="stacked-form new-batch" noValidate>
        {result?.message && (
          <p className="notice failure" role="alert">
            {result.message}
          </p>
        )}
        <label>
          Name
          <input name="name" required defaultValue={sent?.name} {...invalid("name", fields)} />
        </label>
        <FieldError name="name" fields={fields} />
        <div className="form-row">
          <label className="not-arena">
            Dataset
            <select name="dataset" required defaultValue={sent?.dataset ?? preselected} {...invalid("dataset", fields)}>
              {datasets.map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name} ({formatFigure(d.prompts, "count")} prompts, {formatFigure(d.models, "count")} models)
                </option>
              ))}
            </select>
          </label>
          <label>
            Task
            <select name="task" defaultValue={sent?.task ?? "pairwise"} {...invalid("task", fields)}>
              <option value="pairwise">Pairwise (A vs B)</option>
              <option value="ranking">Ranking (up to 9)</option>
              <option value="rating">Rating (rubric)</option>
              <option value="arena">Arena (reviewers write prompts; two endpoints answer)</option>
            </select>
          </label>
          <label className="not-arena">
            Overlap (reviewers per item)
            <input name="overlap" type="number" min={1} defaultValue={sent?.overlap ?? 1} {...invalid("overlap", fields)} />
          </label>
          <label className="not-arena">
            Pairing
            <select name="pairing" defaultValue={sent?.pairing ?? "first-two"} {...invalid("pairing", fields)}>
              <option value="first-two">First two responses (pairwise) / all (ranking, rating)</option>
              <option value="all-pairs">All pairs of responses (pairwise only)</option>
              <option value="random">K random pairs per prompt (pairwise only)</option>
              <option value="models">Only these models…</option>
              <option value="adaptive">Adaptive: rounds to the least certain model pairs (pairwise, 3+ models)</option>
            </select>
          </label>
          <label data-pairing="adaptive">
            Items per round
            <input name="roundSize" type="number" min={1} defaultValue={sent?.roundSize ?? DEFAULT_ROUND_SIZE} {...invalid("roundSize", fields)} />
          </label>
          <label data-pairing="adaptive">
            Items in all (blank = every prompt × model pair, at most {DEFAULT_ROUNDS} rounds)
            <input name="adaptiveItems" type="number" min={1} defaultValue={sent?.adaptiveItems} {...invalid("adaptiveItems", fields)} />
          </label>
          <label data-pairing="models">
            Models (comma-separated, in display order)
            <input name="models" defaultValue={sent?.models} placeholder="model-a,model-b" size={36} {...invalid("models", fields)} />
          </label>
          <label data-pairing="random">
            Pairs per prompt (K)
            <input name="pairs" type="number" min={1} defaultValue={sent?.pairs ?? 2} {...invalid("pairs", fields)} />
          </label>
        </div>
        <FieldError name="dataset" fields={fields} />
        <FieldError name="task" fields={fields} />
        <FieldError name="overlap" fields={fields} />
        <FieldError name="pairing" fields={fields} />
        <FieldError name="models" fields={fields} />
        <FieldError name="pairs" fields={fields} />
        <FieldError name="roundSize" fields={fields} />
        <FieldError name="adaptiveItems" fields={fields} />
        <div data-task="arena">
          <label>
            Dataset for the votes (created when new)
            <input name="arenaDataset" defaultValue={sent?.arenaDataset} placeholder="arena-votes" {...invalid("arenaDataset", fields)} />
          </label>
          <FieldError name="arenaDataset" fields={fields} />
          <label>
            Endpoints (JSON: at least two OpenAI-compatible endpoints; keys by environment variable name only)
            <textarea
              name="endpoints"
              rows={5}
              defaultValue={sent?.endpoints}
              placeholder={'[{"label": "Model one", "url": "http://127.0.0.1:8000/v1", "model": "m1"},\n {"label": "Model two", "url": "https://api.example.com/v1", "model": "m2", "api_key_env": "EXAMPLE_KEY"}]'}
              {...invalid("endpoints", fields)}
            />
          </label>
          <FieldError name="endpoints" fields={fields} />
        </div>
        <fieldset className="not-arena">
          <legend>Prompts</legend>
          <div className="form-row">
            <label>
              Sample (prompts drawn at random; blank = all)
              <input name="sample" type="number" min={1} defaultValue={sent?.sample} {...invalid("sample", fields)} />
            </label>
            <label>
              Stratify by metadata field (equal prompts per value)
              <input name="stratify" defaultValue={sent?.stratify} placeholder="topic" {...invalid("stratify", fields)} />
            </label>
            <label>
              Seed (the same seed makes the same batch)
              <input name="seed" type="number" min={0} defaultValue={sent?.seed ?? DEFAULT_SEED} {...invalid("seed", fields)} />
            </label>
          </div>
          <FieldError name="sample" fields={fields} />
          <FieldError name="stratify" fields={fields} />
          <FieldError name="seed" fields={fields} />
        </fieldset>
        <fieldset>
          <legend>Reviewers</legend>
          <div className="checkbox-grid">
            {users.map((u) => (
              <label key={u.username} className="checkbox">
                <input type="checkbox" name="reviewers" value={u.username} defaultChecked={sent ? sent.reviewers.includes(u.username) : u.role === "reviewer"} /> {u.displayName}{" "}
                <span className="muted">({u.username})</span>
              </label>
            ))}
          </div>
        </fieldset>
        <FieldError name="reviewers" fields={fields} />
        <div data-task="pairwise arena">
          <label>
            Scale (pairwise)
            <select name="scale" defaultValue={sent?.scale ?? "7-point"} {...invalid("scale", fields)}>
              <option value="7-point">7-point (much / clearly / slightly better, tie)</option>
              <option value="3-point">3-point (A, tie, B)</option>
            </select>
          </label>
          <FieldError name="scale" fields={fields} />
        </div>
        <RubricEditor initial={sent?.rubric.length ? sent.rubric : rubricRows(DEFAULT_ASPECTS)} initialOverall={Number(sent?.overallRow) || 0} fields={fields} />
        <label>
          Flags (comma-separated)
          <input name="flags" defaultValue={sent?.flags ?? DEFAULT_FLAGS.join(",")} size={60} {...invalid("flags", fields)} />
        </label>
        <FieldError name="flags" fields={fields} />
        <div className="form-row">
          <label className="checkbox">
            <input type="checkbox" name="rationaleRequired" defaultChecked={sent?.rationaleRequired} /> Rationale required
          </label>
          <label>
            Minimum rationale length
            <input name="rationaleMinLength" type="number" min={0} defaultValue={sent?.rationaleMinLength ?? 0} {...invalid("rationaleMinLength", fields)} />
          </label>
          <label className="checkbox">
            <input type="checkbox" name="showModelNames" defaultChecked={sent?.showModelNames} /> Show model names to reviewers
          </label>
        </div>
        <FieldError name="rationaleMinLength" fields={fields} />
        <div data-task="pairwise ranking rating">
          <label className="checkbox">
            <input type="checkbox" name="unsupportedClaims" defaultChecked={sent?.unsupportedClaims} /> Ask reviewers to mark claims not supported by the context
          </label>
          <p className="small muted">
            Reviewers select words in a response and mark them; each mark sets the <code>unsupported_claim</code> flag (added to the flags) with the words as its note.
            The context is each prompt&apos;s reference answer and documents, shown beside it.
          </p>
          <FieldError name="unsupportedClaims" fields={fields} />
        </div>
        <label>
          Guidelines (markdown, shown beside every item)
          <textarea name="guidelines" rows={5} defaultValue={sent?.guidelines} {...invalid("guidelines", fields)} />
        </label>
        <FieldError name="guidelines" fields={fields} />
        <fieldset className="quality-checks">
          <legend>Quality checks</legend>
          <p className="small muted">
            Gold items come from prompts with a gold answer (the import's <code>gold</code> key, the dataset page, or <code>gold mark</code>). Reviewers cannot tell
            them apart from other items.
          </p>
          <div className="form-row">
            {(
              [
                ["goldRate", "Gold share of each reviewer's items", "0.1", "0.01", 0, 0.5],
                ["goldThreshold", "Pause a reviewer below this gold accuracy", "0.7", "0.05", 0, 1],
                ["goldMinItems", "…after this many gold items", "5", "1", 1, 1000],
                ["goldTolerance", "Rating: points a score may be off", "0", "1", 0, 100],
                ["selfConsistencyShare", "Share shown again, sides swapped", "0", "0.01", 0, 0.5],
              ] as const
            ).map(([name, label, initial, step, min, max]) => (
              <label key={name}>
                {label}
                <input name={name} type="number" step={step} min={min} max={max} defaultValue={sent?.[name] ?? initial} {...invalid(name, fields)} />
              </label>
            ))}
          </div>
          {["goldRate", "goldThreshold", "goldMinItems", "goldTolerance", "selfConsistencyShare"].map((name) => (
            <FieldError key={name} name={name} fields={fields} />
          ))}
        </fieldset>
        <details className="advanced" open={fields.advanced ? true : undefined}>
          <summary>Advanced: raw config JSON</summary>
          <label>
            Config JSON, laid over the fields above key by key (e.g. {'{"leaseMinutes": 60}'}; see README, “Batches”)
            <textarea name="advanced" rows={4} defaultValue={sent?.advanced} {...invalid("advanced", fields)} />
          </label>
          <FieldError name="advanced" fields={fields} />
        </details>
        {preview && <PreviewFigures preview={preview} />}
        {/* Create comes first: Enter in a field submits the first button. */}
        <div className="form-row">
          <button type="submit" className="primary" disabled={submitting}>
            {submitting && !previewing ? "Creating…" : "Create batch"}
          </button>
          <button type="submit" name="intent" value="preview" disabled={submitting}>
            {previewing ? "Previewing…" : "Preview"}
          </button>
        </div>
      </Form>
    </section>
  );
}
