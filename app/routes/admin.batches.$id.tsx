import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { ColumnDef } from "@tanstack/react-table";
import { z } from "zod";
import { CloseConfirmation } from "~/components/admin/close-confirmation";
import { Markdown } from "~/components/markdown";
import { DataTable, type ColumnMeta } from "~/components/stats/data-table";
import { formatFigure } from "~/core/figures";
import { requireRole } from "~/services/auth.server";
import { batchDetail, MAX_OVERLAP, removeBatchReviewers, setBatchOverlap, updateBatch } from "~/services/batch-admin.server";
import type { ReviewerProgress } from "~/services/batch-admin.server";
import { addBatchReviewers, changeBatchStatus } from "~/services/batches.server";
import { resumeReviewer } from "~/services/gold.server";
import { asServiceError } from "~/services/errors.server";
import { errorResponse } from "~/services/http.server";
import { listUsers } from "~/services/users.server";
import adminStyles from "~/styles/admin.css?url";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.batch.name ?? "Batch"} · Verdict` }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

const STATUS_INTENTS = ["pause", "resume", "close", "reopen"] as const;
const INTENTS = [...STATUS_INTENTS, "edit", "add-reviewers", "remove-reviewers", "overlap", "resume-reviewer"] as const;
type Intent = (typeof INTENTS)[number];

/** What the page's URL may say: a Close waiting for confirmation, or the change just made. */
const searchSchema = z.object({
  confirm: z.literal("close").optional().catch(undefined),
  done: z.enum(INTENTS).optional().catch(undefined),
  note: z.string().max(300).optional().catch(undefined),
});

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const search = searchSchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  try {
    const batch = batchDetail(params.id!);
    const members = new Set(batch.reviewers.filter((r) => r.member).map((r) => r.username));
    return {
      batch,
      candidates: listUsers()
        .filter((u) => !u.disabled && !members.has(u.username))
        .map((u) => ({ username: u.username, displayName: u.displayName })),
      confirmClose: search.confirm === "close" && batch.status !== "closed",
      maxOverlap: MAX_OVERLAP,
      done: search.done ? { intent: search.done, note: search.note ?? null } : null,
    };
  } catch (error) {
    throw errorResponse(error);
  }
}

type Fields = Record<string, string>;

export async function action({ request, params }: ActionFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const id = params.id!;
  const form = await request.formData();
  const intent = z.enum(INTENTS).safeParse(form.get("intent"));
  if (!intent.success) return data({ intent: null, fields: {} as Fields, message: "Choose an action." }, { status: 400 });
  const text = (name: string) => (form.has(name) ? String(form.get(name)) : undefined);
  const done = (note?: string) =>
    redirect(`/admin/batches/${encodeURIComponent(id)}?${new URLSearchParams({ done: intent.data, ...(note && { note }) })}`);
  try {
    switch (intent.data) {
      case "edit": {
        const { changed } = updateBatch(id, { name: text("name"), guidelines: text("guidelines") }, admin.id);
        return done(changed.length ? `Saved the ${changed.join(" and ")}.` : "Nothing changed.");
      }
      case "add-reviewers": {
        const { added } = addBatchReviewers(id, form.getAll("reviewers").map(String), admin.id);
        return done(`Added ${added.join(", ") || "no one new"}.`);
      }
      case "remove-reviewers": {
        const { removed, released } = removeBatchReviewers(id, form.getAll("reviewers").map(String), admin.id);
        return done(`Removed ${removed.join(", ")}${released ? `; ${released} ${released === 1 ? "item they held was" : "items they held were"} given back` : ""}. Their judgments are kept.`);
      }
      case "overlap": {
        const raw = (text("overlap") ?? "").trim();
        const overlap = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
        if (Number.isNaN(overlap)) return data({ intent: intent.data, fields: { overlap: `${JSON.stringify(raw)} is not a whole number` }, message: null }, { status: 400 });
        const result = setBatchOverlap(id, overlap, admin.id);
        return done(result.to === result.from ? `The overlap stays ${result.to}.` : `Overlap raised from ${result.from} to ${result.to}; ${result.reopened} ${result.reopened === 1 ? "item" : "items"} reopened.`);
      }
      case "resume-reviewer": {
        const { reviewer } = resumeReviewer(id, text("reviewer") ?? "", admin.id);
        return done(`Resumed ${reviewer}; their gold count starts afresh.`);
      }
      default:
        changeBatchStatus(id, intent.data, admin.id);
        return done();
    }
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    if (failure.code === "not_found") throw errorResponse(error);
    const fields = (failure.details?.fields ?? {}) as Fields;
    return data({ intent: intent.data, fields, message: Object.keys(fields).length ? null : failure.message }, { status: failure.status });
  }
}

const STATUS_DONE: Record<(typeof STATUS_INTENTS)[number], string> = {
  pause: "The batch is paused: reviewers cannot get its items until you resume it.",
  resume: "The batch is active again.",
  close: "The batch is closed: reviewers can no longer judge it. Its judgments are kept and still export.",
  reopen: "The batch is active again: reviewers can judge it.",
};

const count = (n: number) => formatFigure(n, "count");
const numeric = (description: string): ColumnMeta => ({ numeric: true, description });

const reviewerColumns: ColumnDef<ReviewerProgress, unknown>[] = [
  {
    id: "reviewer",
    header: "Reviewer",
    accessorFn: (r) => `${r.displayName} ${r.username}`,
    cell: ({ row: { original: r } }) => (
      <>
        {r.displayName} <span className="muted small">({r.username})</span>
        {!r.member && <div className="small muted">removed; judgments kept</div>}
        {r.disabled && <div className="small muted">account disabled</div>}
        {r.paused !== null && (
          <div className="small" data-reviewer-paused={r.username}>
            <strong>Paused</strong> <span className="muted">{r.paused}</span>
            <Form method="post" className="inline-form">
              <input type="hidden" name="reviewer" value={r.username} />
              <button type="submit" name="intent" value="resume-reviewer">
                Resume {r.username}
              </button>
            </Form>
          </div>
        )}
      </>
    ),
  },
  { accessorKey: "done", header: "Done", meta: numeric("Judgments submitted") },
  { accessorKey: "leased", header: "Leased", meta: numeric("Items they hold right now") },
  { accessorKey: "left", header: "Left", meta: numeric("Items they may still get, those they hold included") },
  { accessorKey: "skipped", header: "Skipped", meta: numeric("Items they gave back") },
  { accessorKey: "skippedWaiting", header: "Waiting", meta: numeric("Items they skipped that still need another reviewer's judgment") },
];

function FieldError({ name, fields }: { name: string; fields: Fields }) {
  return fields[name] ? (
    <p className="field-error" id={`${name}-error`} role="alert">
      {fields[name]}
    </p>
  ) : null;
}
const invalid = (name: string, fields: Fields) => (fields[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {});

export default function BatchPage() {
  const { batch, candidates, confirmClose, maxOverlap, done } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const failedIntent: Intent | null = result?.intent ?? null;
  const fieldsFor = (...intents: Intent[]): Fields => (failedIntent && intents.includes(failedIntent) ? result!.fields : {});
  const page = `/admin/batches/${batch.id}`;
  const members = batch.reviewers.filter((r) => r.member);
  const { config } = batch;
  const doneText = done && ((STATUS_INTENTS as readonly string[]).includes(done.intent) ? STATUS_DONE[done.intent as keyof typeof STATUS_DONE] : done.note);
  return (
    <section className="panel batch-page">
      <p className="small">
        <Link to="/admin/batches">← All batches</Link>
      </p>
      <div className="panel-title">
        <h1>{batch.name}</h1>
        <span className="status-badge" data-status={batch.status}>
          {batch.status}
        </span>
      </div>
      <nav className="button-row" aria-label="This batch">
        <Link to={`${page}/stats`} className="button">
          Statistics
        </Link>
        <Link to={`${page}/export`} className="button">
          Export
        </Link>
        <Link to={`${page}/disputes`} className="button">
          Disputes
        </Link>
        <Link to={`${page}/judge`} className="button">
          LLM judge
        </Link>
      </nav>

      {doneText && (
        <p className="notice success" role="status">
          {doneText}
        </p>
      )}
      {result?.message && (
        <p className="notice failure" role="alert">
          {result.message}
        </p>
      )}

      <dl className="job-facts" aria-label="Batch facts">
        <dt>Id</dt>
        <dd>
          <code>{batch.id}</code>
        </dd>
        <dt>Dataset</dt>
        <dd>{batch.dataset}</dd>
        <dt>Task</dt>
        <dd>{batch.arena ? "arena (pairwise)" : batch.task}</dd>
        <dt>Created</dt>
        <dd>
          {new Date(batch.createdAt).toISOString().slice(0, 16).replace("T", " ")} UTC{batch.createdBy ? ` by ${batch.createdBy}` : ""}
        </dd>
        <dt>Progress</dt>
        <dd>
          <progress value={batch.judgments} max={batch.needed || 1} aria-label="Batch progress" /> {count(batch.judgments)} of {count(batch.needed)} judgments
          ({count(batch.items)} {batch.items === 1 ? "item" : "items"} × overlap {batch.overlap}); {count(batch.leased)} leased, {count(batch.skipped)} skipped
          {batch.needsReviewer > 0 && (
            <span className="needs-reviewer" data-col="needs-reviewer">
              {" "}
              · {count(batch.needsReviewer)} {batch.needsReviewer === 1 ? "item needs" : "items need"} another reviewer
            </span>
          )}
        </dd>
      </dl>

      <h2>Status</h2>
      {confirmClose ? (
        <CloseConfirmation batch={batch} cancelTo={page} reopenFrom="this page" />
      ) : (
        <Form method="post" className="inline-actions" action={page}>
          {batch.status === "active" && (
            <button type="submit" name="intent" value="pause" disabled={busy}>
              Pause
            </button>
          )}
          {(batch.status === "paused" || batch.status === "draft") && (
            <button type="submit" name="intent" value="resume" disabled={busy}>
              Resume
            </button>
          )}
          {batch.status !== "closed" && (
            <Link to={`${page}?confirm=close#confirm-close`} className="button" preventScrollReset>
              Close…
            </Link>
          )}
          {batch.status === "closed" && (
            <button type="submit" name="intent" value="reopen" disabled={busy}>
              Reopen
            </button>
          )}
        </Form>
      )}

      <h2>Reviewers</h2>
      {batch.reviewers.length ? (
        <DataTable label="Reviewers and their progress" rows={batch.reviewers} columns={reviewerColumns} />
      ) : (
        <p className="muted">No reviewers.</p>
      )}
      <div className="form-row batch-reviewer-forms">
        <Form method="post" action={page} className="stacked-form" aria-label="Add reviewers">
          <fieldset>
            <legend>Add reviewers</legend>
            {candidates.length === 0 ? (
              <p className="small muted">Every enabled user already reviews this batch.</p>
            ) : (
              <div className="checkbox-grid">
                {candidates.map((c) => (
                  <label key={c.username} className="checkbox">
                    <input type="checkbox" name="reviewers" value={c.username} /> {c.displayName} <span className="muted small">({c.username})</span>
                  </label>
                ))}
              </div>
            )}
            <p className="small muted">They get the items still short of the overlap, skipped ones included.</p>
            <FieldError name="reviewers" fields={fieldsFor("add-reviewers")} />
            <button type="submit" name="intent" value="add-reviewers" disabled={busy || candidates.length === 0}>
              Add
            </button>
          </fieldset>
        </Form>
        <Form method="post" action={page} className="stacked-form" aria-label="Remove reviewers">
          <fieldset>
            <legend>Remove reviewers</legend>
            <div className="checkbox-grid">
              {members.map((r) => (
                <label key={r.username} className="checkbox">
                  <input type="checkbox" name="reviewers" value={r.username} /> {r.displayName} <span className="muted small">({r.username})</span>
                </label>
              ))}
            </div>
            <p className="small muted">They get no more items; items they hold go to others. Their judgments are kept.</p>
            <FieldError name="reviewers" fields={fieldsFor("remove-reviewers")} />
            <button type="submit" name="intent" value="remove-reviewers" disabled={busy}>
              Remove
            </button>
          </fieldset>
        </Form>
      </div>

      <h2>Overlap</h2>
      {batch.arena ? (
        <p className="muted">An arena&apos;s overlap stays 1: each battle is its reviewer&apos;s own.</p>
      ) : (
        <Form method="post" action={page} className="inline-form" aria-label="Overlap">
          <label>
            Reviewers per item
            <input type="number" name="overlap" min={batch.overlap} max={maxOverlap} step={1} defaultValue={batch.overlap} required {...invalid("overlap", fieldsFor("overlap"))} />
          </label>
          <button type="submit" name="intent" value="overlap" disabled={busy}>
            Raise overlap
          </button>
          <p className="small muted">Items judged fewer times than the new overlap open again. The overlap can be raised, not lowered.</p>
          <FieldError name="overlap" fields={fieldsFor("overlap")} />
        </Form>
      )}

      <h2>Name and guidelines</h2>
      <Form method="post" action={page} className="stacked-form" aria-label="Name and guidelines">
        <label>
          Name
          <input name="name" required maxLength={120} defaultValue={batch.name} {...invalid("name", fieldsFor("edit"))} />
        </label>
        <FieldError name="name" fields={fieldsFor("edit")} />
        <label>
          Guidelines <span className="muted small">(Markdown; reviewers see the new text with their next item)</span>
          <textarea name="guidelines" rows={8} defaultValue={config.guidelines} {...invalid("guidelines", fieldsFor("edit"))} />
        </label>
        <FieldError name="guidelines" fields={fieldsFor("edit")} />
        <div>
          <button type="submit" name="intent" value="edit" className="primary" disabled={busy}>
            Save name and guidelines
          </button>
        </div>
      </Form>
      {config.guidelines && (
        <details className="advanced">
          <summary>Guidelines as reviewers see them</summary>
          <Markdown text={config.guidelines} />
        </details>
      )}

      <h2>Configuration</h2>
      <dl className="job-facts" aria-label="Configuration">
        {batch.task === "pairwise" && (
          <>
            <dt>Scale</dt>
            <dd>{config.scale === "7-point" ? "7-point (much, clearly, slightly better, or tie)" : "3-point (A, tie, B)"}</dd>
          </>
        )}
        {batch.task === "rating" && (
          <>
            <dt>Rubric</dt>
            <dd>
              {config.aspects.map((a) => `${a.label} (${a.min}–${a.max})`).join(", ")}; pairs from “{config.aspects.find((a) => a.key === config.overallAspect)?.label ?? config.overallAspect}”
            </dd>
          </>
        )}
        <dt>Flags</dt>
        <dd>{config.flags.length ? config.flags.join(", ") : "none"}</dd>
        <dt>Rationale</dt>
        <dd>{config.rationale.required ? `required${config.rationale.minLength ? `, at least ${config.rationale.minLength} characters` : ""}` : "optional"}</dd>
        <dt>Blinding</dt>
        <dd>{config.showModelNames ? "model names shown to reviewers" : "blind: reviewers do not see model names"}</dd>
        <dt>Lease</dt>
        <dd>{config.leaseMinutes} minutes</dd>
        {batch.arena && (
          <>
            <dt>Endpoints</dt>
            <dd>{batch.arena.endpoints.join(", ")}</dd>
          </>
        )}
        {batch.selection && !batch.arena && (
          <>
            <dt>Selection</dt>
            <dd>
              pairing {batch.selection.pairing}, seed {batch.selection.seed}
              {batch.selection.sample !== undefined && `, sample ${batch.selection.sample}`}
              {batch.selection.stratify !== undefined && `, stratified by ${batch.selection.stratify}`}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
