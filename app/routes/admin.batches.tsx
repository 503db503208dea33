import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { CloseConfirmation } from "~/components/admin/close-confirmation";
import adminStyles from "~/styles/admin.css?url";
import { requireRole } from "~/services/auth.server";
import { changeBatchStatus, listBatches } from "~/services/batches.server";
import { asServiceError } from "~/services/errors.server";
import { listUsers } from "~/services/users.server";
import { AddReviewers } from "~/components/add-reviewers";
import { formatFigure } from "~/core/figures";

export const meta: MetaFunction = () => [{ title: "Batches · Verdict" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

const INTENTS = ["pause", "resume", "close", "reopen"] as const;

/** What the list's URL may say: a Close waiting for confirmation, a batch just created, a change just made. */
const searchSchema = z.object({
  confirm: z.literal("close").optional().catch(undefined),
  id: z.string().min(1).optional().catch(undefined),
  created: z.string().min(1).optional().catch(undefined),
  skipped: z.coerce.number().int().min(0).optional().catch(undefined),
  done: z.enum(INTENTS).optional().catch(undefined),
});

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const search = searchSchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  return {
    batches: listBatches(),
    users: listUsers()
      .filter((u) => !u.disabled)
      .map((u) => ({ username: u.username, displayName: u.displayName })),
    confirmClose: search.confirm === "close" ? (search.id ?? null) : null,
    created: search.created ? { id: search.created, skipped: search.skipped ?? 0 } : null,
    done: search.done && search.id ? { id: search.id, intent: search.done } : null,
  };
}

const statusSchema = z.object({ id: z.string().min(1), intent: z.enum(INTENTS) });

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  const parsed = statusSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ message: "Choose a batch and an action." }, { status: 400 });
  try {
    changeBatchStatus(parsed.data.id, parsed.data.intent, user.id);
    return redirect(`/admin/batches?${new URLSearchParams({ done: parsed.data.intent, id: parsed.data.id })}`);
  } catch (error) {
    const failure = asServiceError(error);
    if (failure) return data({ message: failure.message }, { status: failure.status });
    throw error;
  }
}

const DONE: Record<(typeof INTENTS)[number], string> = {
  pause: "is paused: reviewers cannot get its items until you resume it.",
  resume: "is active again.",
  close: "is closed: reviewers can no longer judge it. Its judgments are kept and still export.",
  reopen: "is active again: reviewers can judge it.",
};

export default function Batches() {
  const { batches, users, confirmClose, created, done } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const createdBatch = created && batches.find((b) => b.id === created.id);
  const doneBatch = done && batches.find((b) => b.id === done.id);
  const closing = confirmClose ? batches.find((b) => b.id === confirmClose && b.status !== "closed") : undefined;
  return (
    <section className="panel">
      <div className="panel-title">
        <h1>Batches</h1>
        <Link to="/admin/batches/new" className="button primary">
          New batch
        </Link>
      </div>
      {result?.message && (
        <p className="notice failure" role="alert">
          {result.message}
        </p>
      )}
      {createdBatch && (
        <div className="notice success" role="status">
          <p>
            Created batch “{createdBatch.name}” (id <code>{createdBatch.id}</code>) with {formatFigure(createdBatch.items, "count")}{" "}
            {createdBatch.items === 1 ? "item" : "items"}
            {created.skipped > 0 &&
              `; ${formatFigure(created.skipped, "count")} ${created.skipped === 1 ? "prompt" : "prompts"} of “${createdBatch.dataset}” did not fit and ${created.skipped === 1 ? "was" : "were"} left out`}
            .
          </p>
          <p>
            <Link to={`/admin/batches/${createdBatch.id}/stats`}>Open “{createdBatch.name}”: progress and statistics</Link> ·{" "}
            <a href={`#batch-${createdBatch.id}`}>its row below</a>
          </p>
        </div>
      )}
      {doneBatch && (
        <p className="notice success" role="status">
          “{doneBatch.name}” {DONE[done.intent]}
        </p>
      )}
      {closing && <CloseConfirmation batch={closing} cancelTo="/admin/batches" />}
      {batches.length === 0 ? (
        <p className="muted">No batches yet.</p>
      ) : (
        <div className="table-scroll"><table className="data-table" aria-label="Batches">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Dataset</th>
              <th scope="col">Task</th>
              <th scope="col" className="num">Items</th>
              <th scope="col" className="num">Overlap</th>
              <th scope="col">Judgments</th>
              <th scope="col">Reviewers</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {batches.map((b) => (
              <tr key={b.id} data-batch={b.name} id={`batch-${b.id}`} className={b.id === created?.id ? "just-created" : undefined}>
                <th scope="row">
                  <Link to={`/admin/batches/${b.id}`}>{b.name}</Link>
                  <div className="muted small">{b.id}</div>
                </th>
                <td>{b.dataset}</td>
                <td>{b.arena ? "arena" : b.task}</td>
                <td className="num">{formatFigure(b.items, "count")}</td>
                <td className="num">{b.overlap}</td>
                <td>
                  <progress value={b.judgments} max={b.items * b.overlap || 1} aria-label={`${b.name} progress`} />{" "}
                  <span className="muted small">
                    {formatFigure(b.judgments, "count")} / {formatFigure(b.items * b.overlap, "count")}
                  </span>
                  {b.needsReviewer > 0 && (
                    <div className="small needs-reviewer" data-col="needs-reviewer">
                      {formatFigure(b.needsReviewer, "count")} item{b.needsReviewer === 1 ? "" : "s"} need{b.needsReviewer === 1 ? "s" : ""} another reviewer
                    </div>
                  )}
                  {b.skipped > 0 && <div className="small muted">{formatFigure(b.skipped, "count")} skipped</div>}
                </td>
                <td className="small">
                  {b.reviewers.join(", ")}
                  {b.status !== "closed" && (
                    <AddReviewers batchId={b.id} batchName={b.name} candidates={users.filter((u) => !b.reviewers.includes(u.username))} />
                  )}
                </td>
                <td data-col="status">{b.status}</td>
                <td>
                  <Form method="post" className="inline-actions">
                    <Link to={`/admin/batches/${b.id}/stats`} className="button">
                      Stats
                    </Link>
                    <Link to={`/admin/batches/${b.id}/export`} className="button">
                      Export
                    </Link>
                    <input type="hidden" name="id" value={b.id} />
                    {b.status === "active" && (
                      <button type="submit" name="intent" value="pause">
                        Pause
                      </button>
                    )}
                    {b.status === "paused" && (
                      <button type="submit" name="intent" value="resume">
                        Resume
                      </button>
                    )}
                    {b.status !== "closed" && (
                      <Link
                        to={`/admin/batches?${new URLSearchParams({ confirm: "close", id: b.id })}#confirm-close`}
                        className="button"
                        preventScrollReset
                      >
                        Close…
                      </Link>
                    )}
                    {b.status === "closed" && (
                      <button type="submit" name="intent" value="reopen">
                        Reopen
                      </button>
                    )}
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
    </section>
  );
}
