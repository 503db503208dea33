import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireRole } from "~/services/auth.server";
import { changeBatchStatus, listBatches } from "~/services/batches.server";
import { asServiceError } from "~/services/errors.server";
import { listUsers } from "~/services/users.server";
import { AddReviewers } from "~/components/add-reviewers";

export const meta: MetaFunction = () => [{ title: "Batches · Verdict" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const users = listUsers().filter((u) => !u.disabled);
  return { batches: listBatches(), users: users.map((u) => ({ username: u.username, displayName: u.displayName })) };
}

const statusSchema = z.object({ id: z.string().min(1), intent: z.enum(["pause", "resume", "close"]) });

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  const parsed = statusSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ message: "Choose a batch and an action." }, { status: 400 });
  try {
    changeBatchStatus(parsed.data.id, parsed.data.intent, user.id);
    return { message: null };
  } catch (error) {
    const failure = asServiceError(error);
    if (failure) return data({ message: failure.message }, { status: failure.status });
    throw error;
  }
}

export default function Batches() {
  const { batches, users } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
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
      {batches.length === 0 ? (
        <p className="muted">No batches yet.</p>
      ) : (
        <table className="data-table" aria-label="Batches">
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
              <tr key={b.id} data-batch={b.name}>
                <th scope="row">
                  {b.name}
                  <div className="muted small">{b.id}</div>
                </th>
                <td>{b.dataset}</td>
                <td>{b.task}</td>
                <td className="num">{b.items.toLocaleString("en-US")}</td>
                <td className="num">{b.overlap}</td>
                <td>
                  <progress value={b.judgments} max={b.items * b.overlap || 1} aria-label={`${b.name} progress`} />{" "}
                  <span className="muted small">
                    {b.judgments.toLocaleString("en-US")} / {(b.items * b.overlap).toLocaleString("en-US")}
                  </span>
                  {b.needsReviewer > 0 && (
                    <div className="small needs-reviewer" data-col="needs-reviewer">
                      {b.needsReviewer.toLocaleString("en-US")} item{b.needsReviewer === 1 ? "" : "s"} need{b.needsReviewer === 1 ? "s" : ""} another reviewer
                    </div>
                  )}
                  {b.skipped > 0 && <div className="small muted">{b.skipped.toLocaleString("en-US")} skipped</div>}
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
                      <button type="submit" name="intent" value="close">
                        Close
                      </button>
                    )}
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
