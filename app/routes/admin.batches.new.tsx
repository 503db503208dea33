import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { DEFAULT_FLAGS, TASKS } from "~/core/tasks/config";
import { requireRole } from "~/services/auth.server";
import { createBatch } from "~/services/batches.server";
import { listDatasets } from "~/services/datasets.server";
import { asServiceError } from "~/services/errors.server";
import { listUsers } from "~/services/users.server";

export const meta: MetaFunction = () => [{ title: "New batch · Verdict" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return {
    datasets: listDatasets().map((d) => ({ name: d.name, prompts: d.prompts })),
    users: listUsers().filter((u) => !u.disabled).map((u) => ({ username: u.username, displayName: u.displayName, role: u.role })),
  };
}

const formSchema = z.object({
  name: z.string().trim().min(1, "Enter a name"),
  dataset: z.string().min(1, "Choose a dataset"),
  task: z.enum(TASKS),
  overlap: z.coerce.number().int("a whole number").min(1, "at least 1"),
  pairing: z.enum(["first-two", "all-pairs", "models"]),
  models: z.string().default(""),
  scale: z.enum(["7-point", "3-point"]),
  flags: z.string().default(""),
  rationaleRequired: z.literal("on").optional(),
  rationaleMinLength: z.coerce.number().int().min(0).default(0),
  showModelNames: z.literal("on").optional(),
  guidelines: z.string().default(""),
  advanced: z.string().default(""),
});

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  const form = await request.formData();
  const parsed = formSchema.safeParse(Object.fromEntries(form));
  const reviewers = form.getAll("reviewers").map(String);
  if (!parsed.success) {
    return data({ fields: Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])) as Record<string, string>, message: null }, { status: 400 });
  }
  const f = parsed.data;
  let advanced: Record<string, unknown> = {};
  if (f.advanced.trim()) {
    try {
      advanced = z.record(z.string(), z.unknown()).parse(JSON.parse(f.advanced));
    } catch {
      return data({ fields: { advanced: "not a JSON object" } as Record<string, string>, message: null }, { status: 400 });
    }
  }
  const config = {
    scale: f.scale,
    flags: f.flags.split(",").map((s) => s.trim()).filter(Boolean),
    rationale: { required: f.rationaleRequired === "on", minLength: f.rationaleMinLength },
    showModelNames: f.showModelNames === "on",
    guidelines: f.guidelines,
    ...advanced,
  };
  try {
    const batch = createBatch(
      {
        name: f.name,
        dataset: f.dataset,
        task: f.task,
        overlap: f.overlap,
        reviewers,
        pairing: f.pairing === "models" ? `models:${f.models}` : f.pairing,
        config,
      },
      user.id,
    );
    throw redirect(`/admin/batches?created=${batch.id}`);
  } catch (error) {
    const failure = asServiceError(error);
    if (failure) {
      const fields = (failure.details?.fields as Record<string, string> | undefined) ?? {};
      return data({ fields, message: failure.message }, { status: failure.status });
    }
    throw error;
  }
}

function FieldError({ name, fields }: { name: string; fields: Record<string, string> }) {
  const message = fields[name] ?? Object.entries(fields).find(([k]) => k.startsWith(`config.${name}`))?.[1];
  return message ? (
    <p className="field-error" id={`${name}-error`}>
      {message}
    </p>
  ) : null;
}

export default function NewBatch() {
  const { datasets, users } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const fields: Record<string, string> = result?.fields ?? {};
  return (
    <section className="panel">
      <h1>New batch</h1>
      <Form method="post" className="stacked-form">
        {result?.message && (
          <p className="notice failure" role="alert">
            {result.message}
          </p>
        )}
        <label>
          Name
          <input name="name" required aria-invalid={fields.name ? true : undefined} />
        </label>
        <FieldError name="name" fields={fields} />
        <div className="form-row">
          <label>
            Dataset
            <select name="dataset" required>
              {datasets.map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name} ({d.prompts} prompts)
                </option>
              ))}
            </select>
          </label>
          <label>
            Task
            <select name="task" defaultValue="pairwise">
              <option value="pairwise">Pairwise (A vs B)</option>
              <option value="ranking">Ranking (up to 9)</option>
              <option value="rating">Rating (rubric)</option>
            </select>
          </label>
          <label>
            Overlap (reviewers per item)
            <input name="overlap" type="number" min={1} defaultValue={1} />
          </label>
          <label>
            Pairing
            <select name="pairing" defaultValue="first-two">
              <option value="first-two">First two responses (pairwise) / all (ranking, rating)</option>
              <option value="all-pairs">All pairs of responses (pairwise)</option>
              <option value="models">Only these models…</option>
            </select>
          </label>
          <label>
            Models (for “Only these models”, comma-separated)
            <input name="models" placeholder="model-a,model-b" />
          </label>
        </div>
        <FieldError name="overlap" fields={fields} />
        <FieldError name="pairing" fields={fields} />
        <fieldset>
          <legend>Reviewers</legend>
          <div className="checkbox-grid">
            {users.map((u) => (
              <label key={u.username} className="checkbox">
                <input type="checkbox" name="reviewers" value={u.username} defaultChecked={u.role === "reviewer"} /> {u.displayName}{" "}
                <span className="muted">({u.username})</span>
              </label>
            ))}
          </div>
        </fieldset>
        <FieldError name="reviewers" fields={fields} />
        <div className="form-row">
          <label>
            Scale (pairwise)
            <select name="scale" defaultValue="7-point">
              <option value="7-point">7-point (much / clearly / slightly better, tie)</option>
              <option value="3-point">3-point (A, tie, B)</option>
            </select>
          </label>
          <label>
            Flags (comma-separated)
            <input name="flags" defaultValue={DEFAULT_FLAGS.join(",")} size={60} />
          </label>
        </div>
        <FieldError name="flags" fields={fields} />
        <div className="form-row">
          <label className="checkbox">
            <input type="checkbox" name="rationaleRequired" /> Rationale required
          </label>
          <label>
            Minimum rationale length
            <input name="rationaleMinLength" type="number" min={0} defaultValue={0} />
          </label>
          <label className="checkbox">
            <input type="checkbox" name="showModelNames" /> Show model names to reviewers
          </label>
        </div>
        <label>
          Guidelines (markdown, shown beside every item)
          <textarea name="guidelines" rows={5} />
        </label>
        <label>
          Advanced config (JSON, e.g. {'{"aspects": [{"key": "overall", "label": "Overall", "min": 1, "max": 7}]}'})
          <textarea name="advanced" rows={3} aria-invalid={fields.advanced ? true : undefined} />
        </label>
        <FieldError name="advanced" fields={fields} />
        <FieldError name="aspects" fields={fields} />
        <FieldError name="overallAspect" fields={fields} />
        <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Creating…" : "Create batch"}
        </button>
      </Form>
    </section>
  );
}
