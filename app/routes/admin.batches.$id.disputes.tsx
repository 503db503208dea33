import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import { formatFigure } from "~/core/figures";
import { Markdown } from "~/components/markdown";
import { Conversation } from "~/components/judging/conversation";
import { requireRole } from "~/services/auth.server";
import { listDisputes, type DisputedItem } from "~/services/disputes.server";
import { resolveDispute, sendToMoreReviewers } from "~/services/adjudication.server";
import { promoteToGold } from "~/services/gold.server";
import { asServiceError } from "~/services/errors.server";
import { errorResponse } from "~/services/http.server";
import { FieldError, invalidProps, type FieldMessages } from "~/components/field-error";
import adminStyles from "~/styles/admin.css?url";
import judgingStyles from "~/styles/judging.css?url";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Disputes · ${data?.batch.name ?? "Batch"} · Verdict` }];
export const links: LinksFunction = () => [
  { rel: "stylesheet", href: judgingStyles },
  { rel: "stylesheet", href: adminStyles },
];

const PAGE = 20;

/** The batch's disputed items, most split first, paged on the server. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const search = new URL(request.url).searchParams;
  const offset = search.get("offset") ?? undefined;
  const status = search.get("status") ?? "all";
  // The notice is built here from a known word, never echoed from the query string.
  const done = { resolved: "Verdict recorded.", promoted: "Promoted to gold: the verdict is the expected answer, and every reviewer of the batch gets the item as a check.", sent: "Sent to more reviewers: the item is open again until they have judged it." }[search.get("done") ?? ""] ?? null;
  try {
    return data({ ...listDisputes(params.id!, { limit: PAGE, offset, status }), status, done });
  } catch (error) {
    // A bad filter or page (`?status=bogus`) is a 400 page, not a 500.
    throw errorResponse(error);
  }
}

type ActionResult = { item: string; fields: FieldMessages; message: string | null };

/**
 * An admin's verdict on one item (`intent=resolve`: pairwise `preferred` + `strength`, ranking
 * `ranking` as response numbers "2>1=3", rating `scores` as JSON, and `note`), or the item sent
 * to `reviewers` more reviewers (`intent=send`). Plain form posts: the page works without
 * JavaScript. Back to the same page and filter, at the item.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const form = await request.formData();
  const text = (name: string) => String(form.get(name) ?? "").trim();
  const item = text("item");
  const back = (done: string) => {
    const search = new URLSearchParams(new URL(request.url).search);
    search.delete("index");
    search.set("done", done);
    return redirect(`/admin/batches/${encodeURIComponent(params.id!)}/disputes?${search}#item-${encodeURIComponent(item)}`);
  };
  try {
    if (text("intent") === "promote") {
      promoteToGold(item, admin.id);
      return back("promoted");
    }
    if (text("intent") === "send") {
      sendToMoreReviewers(item, admin.id, text("reviewers"));
      return back("sent");
    }
    if (text("intent") !== "resolve") return data<ActionResult>({ item, fields: {}, message: "Choose an action." }, { status: 400 });
    const input: Record<string, unknown> = { note: text("note") };
    if (form.has("preferred")) {
      input.preferred = text("preferred");
      if (text("preferred") !== "tie") input.strength = text("strength") === "" ? undefined : Number(text("strength"));
    } else if (form.has("ranking")) {
      const responseIds = form.getAll("response").map(String);
      const tiers = text("ranking")
        .split(">")
        .map((tier) => tier.split("=").map((n) => responseIds[Number(n.trim()) - 1] ?? n.trim()));
      input.tiers = text("ranking") === "" ? [] : tiers;
    } else if (form.has("scores")) {
      try {
        input.scores = JSON.parse(text("scores") || "null") as unknown;
      } catch {
        return data<ActionResult>({ item, fields: { scores: "not JSON: give {\"response id\": {\"aspect\": score}}" }, message: null }, { status: 400 });
      }
    }
    resolveDispute(item, admin.id, input);
    return back("resolved");
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    if (failure.code === "not_found") throw errorResponse(error);
    const fields = (failure.details?.fields ?? {}) as FieldMessages;
    return data<ActionResult>({ item, fields, message: Object.keys(fields).length ? null : failure.message }, { status: failure.status });
  }
}

/** What a judgment chose, in the page's words: "Response 2 (model)", "tie", the top of a ranking. */
function choiceText(item: DisputedItem, choice: string | null): string {
  if (choice === null) return "—";
  if (choice === "tie") return "tie";
  return choice
    .split("=")
    .map((id) => {
      const index = item.responses.findIndex((r) => r.id === id);
      return index < 0 ? id : `Response ${index + 1} (${item.responses[index]!.model})`;
    })
    .join(" = ");
}

/** The verdict in the page's words. */
function verdictText(item: DisputedItem, payload: NonNullable<DisputedItem["adjudication"]>["payload"]): string {
  if (payload.task === "pairwise") return payload.preferred === "tie" ? "tie" : `${choiceText(item, payload.preferred)}, strength ${payload.strength}`;
  if (payload.task === "ranking") return payload.tiers.map((tier) => choiceText(item, tier.join("="))).join(" > ");
  return Object.entries(payload.scores)
    .map(([id, scores]) => `${choiceText(item, id)}: ${Object.entries(scores).map(([aspect, score]) => `${aspect} ${score}`).join(", ")}`)
    .join("; ");
}

function VerdictForm({ item, task, failure }: { item: DisputedItem; task: string; failure: ActionResult | null }) {
  const fields = failure?.fields ?? {};
  const busy = useNavigation().state === "submitting";
  const field = (name: string) => `${name}-${item.item_id}`;
  return (
    <Form method="post" className="dispute-verdict" aria-label={`Verdict on item ${item.position}`}>
      <input type="hidden" name="intent" value="resolve" />
      <input type="hidden" name="item" value={item.item_id} />
      {item.responses.map((r) => (
        <input key={r.id} type="hidden" name="response" value={r.id} />
      ))}
      {task === "pairwise" && (
        <fieldset {...invalidProps("preferred", fields)}>
          <legend>Your verdict</legend>
          {item.responses.map((r, index) => (
            <label key={r.id} className="inline">
              <input type="radio" name="preferred" value={r.id} required /> Response {index + 1} ({r.model})
            </label>
          ))}
          <label className="inline">
            <input type="radio" name="preferred" value="tie" /> Tie
          </label>
          <label className="inline">
            Strength{" "}
            <select name="strength" defaultValue="2" {...invalidProps("strength", fields)}>
              <option value="1">1 slightly</option>
              <option value="2">2 clearly</option>
              <option value="3">3 much better</option>
            </select>
          </label>
          <FieldError name="preferred" fields={fields} />
          <FieldError name="strength" fields={fields} />
        </fieldset>
      )}
      {task === "ranking" && (
        <label>
          Your ranking, by response number, best first (<code>2&gt;1=3</code>: 2 best, 1 and 3 tied)
          <input name="ranking" id={field("ranking")} required {...invalidProps("tiers", fields)} />
          <FieldError name="tiers" fields={fields} />
        </label>
      )}
      {task === "rating" && (
        <label>
          Your scores as JSON, by response id and aspect
          <textarea name="scores" rows={2} required placeholder={`{"${item.responses[0]?.id ?? "id"}": {"overall": 5}}`} {...invalidProps("scores", fields)} />
          <FieldError name="scores" fields={fields} />
        </label>
      )}
      <label>
        Note (why; kept with the verdict)
        <input name="note" maxLength={5000} />
      </label>
      <button type="submit" disabled={busy}>
        {item.adjudication ? "Replace the verdict" : "Record the verdict"}
      </button>
    </Form>
  );
}

function SendForm({ item, failure }: { item: DisputedItem; failure: ActionResult | null }) {
  const fields = failure?.fields ?? {};
  return (
    <Form method="post" className="dispute-send" aria-label={`Send item ${item.position} to more reviewers`}>
      <input type="hidden" name="intent" value="send" />
      <input type="hidden" name="item" value={item.item_id} />
      <label className="inline">
        Or send it to{" "}
        <input name="reviewers" type="number" min={1} max={20} defaultValue={1} className="narrow" {...invalidProps("reviewers", fields)} /> more reviewers
      </label>{" "}
      <button type="submit" className="secondary">
        Send
      </button>
      <FieldError name="reviewers" fields={fields} />
    </Form>
  );
}

function DisputeCard({ item, task, failure }: { item: DisputedItem; task: string; failure: ActionResult | null }) {
  const [showEarlier, setShowEarlier] = useState(false);
  const responseNumber = (id: string) => item.responses.findIndex((r) => r.id === id) + 1;
  const flagText = (key: string) => {
    const [id, flag] = key.split(":");
    return `${flag} on Response ${responseNumber(id!)}`;
  };
  const reasons = [item.direction ? "the direction" : null, ...item.flags.map(flagText)].filter(Boolean).join(", ");
  return (
    <article className="panel dispute" aria-label={`Item ${item.position}`} data-item={item.item_id} id={`item-${item.item_id}`}>
      <div className="panel-title">
        <h2>Item {item.position}</h2>
        <span className="muted small">
          split {formatFigure(item.split, "rate")} · on {reasons}
        </span>
      </div>
      <Conversation messages={item.prompt} showEarlier={showEarlier} onToggleEarlier={() => setShowEarlier((shown) => !shown)} />
      <div className="dispute-responses">
        {item.responses.map((response, index) => (
          <section key={response.id} className="response-card" aria-label={`Response ${index + 1}`}>
            <header className="response-head">
              <h3 className="response-title">Response {index + 1}</h3> <span className="muted small response-model">{response.model}</span>
            </header>
            <Markdown text={response.text} className="response-body" />
          </section>
        ))}
      </div>
      <div className="table-scroll">
        <table className="data-table" aria-label={`Judgments of item ${item.position}`}>
          <thead>
            <tr>
              <th scope="col">Reviewer</th>
              <th scope="col">Chose</th>
              <th scope="col" className="num">
                Strength
              </th>
              <th scope="col">Flags</th>
              <th scope="col">Rationale</th>
            </tr>
          </thead>
          <tbody>
            {item.judgments.map((judgment) => (
              <tr key={judgment.id}>
                <th scope="row">{judgment.reviewer}</th>
                <td>{choiceText(item, judgment.choice)}</td>
                <td className="num">{judgment.strength ?? "—"}</td>
                <td>
                  {judgment.flags.length
                    ? judgment.flags.map((f) => `${f.flag} on Response ${responseNumber(f.response_id)}${f.note ? ` (“${f.note}”)` : ""}`).join("; ")
                    : "—"}
                </td>
                <td className="dispute-rationale">{judgment.rationale || <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {item.judge && (
        <p className="dispute-judge" role="note" data-judge-run={item.judge.run}>
          <strong>LLM judge</strong> {item.judge.model}: {item.judge.choice === null ? "—" : choiceText(item, item.judge.choice)} · {item.judge.reasons.join("; ")}
        </p>
      )}
      {item.adjudication && (
        <p className="dispute-adjudication" role="note">
          <strong>Verdict</strong> by {item.adjudication.by}: {verdictText(item, item.adjudication.payload)}
          {item.adjudication.flags.length ? ` · flags: ${item.adjudication.flags.map((f) => `${f.flag} on Response ${responseNumber(f.response_id)}`).join("; ")}` : ""}
          {item.adjudication.note ? ` · “${item.adjudication.note}”` : ""}
          <span className="muted small"> · exports take it as the item&apos;s answer</span>
        </p>
      )}
      {item.adjudication && (
        <Form method="post" className="dispute-promote" aria-label={`Promote item ${item.position} to gold`}>
          <input type="hidden" name="intent" value="promote" />
          <input type="hidden" name="item" value={item.item_id} />
          <button type="submit" className="secondary">
            Promote to gold
          </button>{" "}
          <span className="muted small">the verdict becomes the answer every reviewer is checked against</span>
        </Form>
      )}
      {failure?.message && (
        <p className="form-error" role="alert">
          {failure.message}
        </p>
      )}
      <VerdictForm item={item} task={task} failure={failure} />
      <SendForm item={item} failure={failure} />
    </article>
  );
}

export default function DisputesPage() {
  const page = useLoaderData<typeof loader>();
  const failure = (useActionData<typeof action>() as ActionResult | undefined) ?? null;
  const last = page.offset + page.items.length;
  const link = (offset: number, status = page.status) => {
    const search = new URLSearchParams({ ...(status !== "all" && { status }), ...(offset > 0 && { offset: String(offset) }) });
    return `/admin/batches/${page.batch.id}/disputes${search.size ? `?${search}` : ""}`;
  };
  return (
    <>
      <section className="panel">
        <div className="panel-title">
          <h1>Disputes: {page.batch.name}</h1>
          <span className="muted small">
            <Link to={`/admin/batches/${page.batch.id}`}>Batch</Link> · <Link to={`/admin/batches/${page.batch.id}/stats`}>Statistics</Link> ·{" "}
            <Link to={`/admin/batches/${page.batch.id}/export`}>Export</Link> ·{" "}
            <Link to="/admin/batches">All batches</Link>
          </span>
        </div>
        {page.done && (
          <p className="notice" role="status">
            {page.done}
          </p>
        )}
        <p role="status">
          {page.total === 0
            ? `No disputes among the ${formatFigure(page.judged_items, "count")} items with two or more judgments.`
            : `${formatFigure(page.total, "count")} disputed of ${formatFigure(page.judged_items, "count")} items with two or more judgments, most split first${page.total > page.items.length ? ` (${formatFigure(page.offset + 1, "count")}–${formatFigure(last, "count")} shown)` : ""}.`}
        </p>
        <nav className="filters" aria-label="Which disputes">
          {(["all", "open", "resolved"] as const).map((status) =>
            status === page.status ? (
              <strong key={status} aria-current="page">
                {status}
              </strong>
            ) : (
              <Link key={status} to={link(0, status)}>
                {status}
              </Link>
            ),
          )}
        </nav>
        <p className="muted small">
          An item is disputed when its reviewers chose differently (the preferred response, a tie, or a ranking&apos;s first place), or when some flagged a
          response and others did not. The split is the largest minority&apos;s share. A verdict is stored as a judgment with source <code>adjudicated</code>: every consensus policy of the export then takes it as the item&apos;s answer, while agreement statistics stay the reviewers&apos; own. Also from the command line: <code>disputes list --batch ID --json</code>, <code>disputes resolve ITEM --preferred ID --strength S</code>, <code>disputes send ITEM --reviewers K</code>.
        </p>
      </section>
      {page.items.map((item) => (
        <DisputeCard key={item.item_id} item={item} task={page.batch.task} failure={failure?.item === item.item_id ? failure : null} />
      ))}
      {(page.offset > 0 || last < page.total) && (
        <nav className="pager" aria-label="Pages of disputes">
          {page.offset > 0 && <Link to={link(Math.max(0, page.offset - page.limit))}>← More split</Link>}
          {last < page.total && <Link to={link(last)}>Less split →</Link>}
        </nav>
      )}
    </>
  );
}
