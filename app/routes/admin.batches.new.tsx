import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { RubricEditor } from "~/components/admin/rubric-editor";
import { batchFromForm, rubricRows } from "~/core/tasks/batch-form";
import { DEFAULT_ASPECTS, DEFAULT_FLAGS } from "~/core/tasks/config";
import { requireRole } from "~/services/auth.server";
import { createBatch } from "~/services/batches.server";
import { listDatasets } from "~/services/datasets.server";
import { asServiceError } from "~/services/errors.server";
import { listUsers } from "~/services/users.server";
import adminStyles from "~/styles/admin.css?url";
import { formatFigure } from "~/core/figures";

export const meta: MetaFunction = () => [{ title: "New batch · Verdict" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return {
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
  scale: text,
  flags: text,
  rationaleRequired: z.literal("on").optional(),
  rationaleMinLength: text,
  showModelNames: z.literal("on").optional(),
  guidelines: text,
  overallRow: text,
  advanced: text,
});

type Fields = Record<string, string>;

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  const form = await request.formData();
  const parsed = formSchema.safeParse(Object.fromEntries([...form].filter(([, v]) => typeof v === "string")));
  if (!parsed.success) return data({ fields: {} as Fields, values: null, message: "The form arrived incomplete; reload the page and try again." }, { status: 400 });
  const [keys, labels, mins, maxes] = ["aspectKey", "aspectLabel", "aspectMin", "aspectMax"].map((name) => all(form, name));
  const values = {
    ...parsed.data,
    reviewers: all(form, "reviewers"),
    rationaleRequired: parsed.data.rationaleRequired === "on",
    showModelNames: parsed.data.showModelNames === "on",
    rubric: keys!.map((key, i) => ({ key, label: labels![i] ?? "", min: mins![i] ?? "", max: maxes![i] ?? "" })),
  };
  const result = batchFromForm(values);
  if (!result.ok) return data({ fields: result.fields, values, message: "Some fields need a change; see the messages beside them." }, { status: 400 });
  try {
    const batch = createBatch(result.batch, user.id);
    return redirect(`/admin/batches?${new URLSearchParams({ created: batch.id, skipped: String(batch.skipped) })}#batch-${batch.id}`);
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    const serviceFields = (failure.details?.fields as Fields | undefined) ?? {};
    const fields = Object.fromEntries(Object.entries(serviceFields).map(([field, message]) => [result.fieldOf(field), message]));
    // A message the form shows beside a field is not repeated at the top.
    return data(
      { fields, values, message: Object.keys(fields).length ? "Some fields need a change; see the messages beside them." : failure.message },
      { status: failure.status },
    );
  }
}

function FieldError({ name, fields }: { name: string; fields: Fields }) {
  return fields[name] ? (
    <p className="field-error" id={`${name}-error`}>
      {fields[name]}
    </p>
  ) : null;
}

/** Props that mark a field invalid and point at its message. */
const invalid = (name: string, fields: Fields) => (fields[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {});

export default function NewBatch() {
  const { datasets, users } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const fields: Fields = result?.fields ?? {};
  // What was sent, for a page rendered afresh after a refused form (no JavaScript); with scripts the fields simply keep their values.
  const sent = result?.values ?? null;
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
          <label>
            Dataset
            <select name="dataset" required defaultValue={sent?.dataset} {...invalid("dataset", fields)}>
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
            </select>
          </label>
          <label>
            Overlap (reviewers per item)
            <input name="overlap" type="number" min={1} defaultValue={sent?.overlap ?? 1} {...invalid("overlap", fields)} />
          </label>
          <label>
            Pairing
            <select name="pairing" defaultValue={sent?.pairing ?? "first-two"} {...invalid("pairing", fields)}>
              <option value="first-two">First two responses (pairwise) / all (ranking, rating)</option>
              <option value="all-pairs">All pairs of responses (pairwise only)</option>
              <option value="models">Only these models…</option>
            </select>
          </label>
          <label data-pairing="models">
            Models (comma-separated, in display order)
            <input name="models" defaultValue={sent?.models} placeholder="model-a,model-b" size={36} {...invalid("models", fields)} />
          </label>
        </div>
        <FieldError name="dataset" fields={fields} />
        <FieldError name="task" fields={fields} />
        <FieldError name="overlap" fields={fields} />
        <FieldError name="pairing" fields={fields} />
        <FieldError name="models" fields={fields} />
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
        <div data-task="pairwise">
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
        <label>
          Guidelines (markdown, shown beside every item)
          <textarea name="guidelines" rows={5} defaultValue={sent?.guidelines} {...invalid("guidelines", fields)} />
        </label>
        <FieldError name="guidelines" fields={fields} />
        <details className="advanced" open={fields.advanced ? true : undefined}>
          <summary>Advanced: raw config JSON</summary>
          <label>
            Config JSON, laid over the fields above key by key (e.g. {'{"leaseMinutes": 60}'}; see README, “Batches”)
            <textarea name="advanced" rows={4} defaultValue={sent?.advanced} {...invalid("advanced", fields)} />
          </label>
          <FieldError name="advanced" fields={fields} />
        </details>
        <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Creating…" : "Create batch"}
        </button>
      </Form>
    </section>
  );
}
