import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import type { ColumnDef } from "@tanstack/react-table";
import { useEffect, useRef } from "react";
import { DataTable } from "~/components/stats/data-table";
import { formatFigure } from "~/core/figures";
import { requireRole } from "~/services/auth.server";
import { addBatchReviewers, listBatches } from "~/services/batches.server";
import { config } from "~/services/config.server";
import { asServiceError } from "~/services/errors.server";
import { createPasswordReset, inviteUser, RESET_LINK_HOURS } from "~/services/password-resets.server";
import { createToken, listTokens, revokeToken, type TokenSummary } from "~/services/tokens.server";
import { judgmentsPerHour, listUsersWithActivity, setUserEnabled, type UserActivity } from "~/services/users.server";
import adminStyles from "~/styles/admin.css?url";

export const meta: MetaFunction = () => [{ title: "Users and tokens · Verdict" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

const ACTIVITY_DAYS = 7;

/** What a redirect after an action says happened: a fixed sentence per kind, so a URL cannot put words on the page. */
const DONE: Record<string, (subject: string) => string> = {
  disabled: (name) => `Disabled ${name}; their sessions have ended.`,
  enabled: (name) => `Enabled ${name}; they can sign in again.`,
  unchanged: (name) => `${name} was already in that state.`,
  assigned: (name) => `Added ${name} to the batch.`,
  revoked: (id) => `Revoked token ${id}; the API now refuses it.`,
};

export async function loader({ request }: LoaderFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const params = new URL(request.url).searchParams;
  const say = DONE[params.get("done") ?? ""];
  const subject = params.get("subject") ?? "";
  return {
    me: admin.username,
    users: listUsersWithActivity(),
    tokens: listTokens(),
    batches: listBatches().map((b) => ({ id: b.id, name: b.name, status: b.status })),
    activity: judgmentsPerHour(ACTIVITY_DAYS),
    confirmDisable: params.get("disable"),
    notice: say && subject ? say(subject) : null,
    linkHours: RESET_LINK_HOURS,
  };
}

/** A one-time secret, answered in the POST's response (never in a redirect URL, which history and logs keep). */
type Shown =
  | { kind: "invite" | "reset"; username: string; link: string; expiresAt: string }
  | { kind: "token"; username: string; name: string; id: string; token: string };

type Refusal = { intent: string; subject: string; message: string; fields: Record<string, string> };

export async function action({ request }: ActionFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const form = Object.fromEntries([...(await request.formData())].map(([key, value]) => [key, String(value)]));
  const intent = form.intent ?? "";
  const origin = config().VERDICT_PUBLIC_URL ?? new URL(request.url).origin;
  const after = (done: string, subject: string) => redirect(`/admin/users?${new URLSearchParams({ done, subject })}`);
  try {
    if (intent === "create") {
      const { user, reset } = await inviteUser({ username: form.username, role: form.role, displayName: form.display_name || undefined }, admin.id);
      return data({ shown: { kind: "invite", username: user.username, link: `${origin}${reset.path}`, expiresAt: reset.expiresAt } satisfies Shown, refused: null });
    }
    if (intent === "reset") {
      const reset = createPasswordReset(form.username ?? "", admin.id);
      return data({ shown: { kind: "reset", username: reset.username, link: `${origin}${reset.path}`, expiresAt: reset.expiresAt } satisfies Shown, refused: null });
    }
    if (intent === "disable" || intent === "enable") {
      const user = setUserEnabled(form.username ?? "", intent === "enable", admin.id);
      return after(user.changed ? `${intent}d` : "unchanged", user.username);
    }
    if (intent === "assign") {
      const result = addBatchReviewers(form.batch ?? "", [form.username ?? ""], admin.id);
      return after("assigned", result.added[0] ?? result.already[0] ?? "");
    }
    if (intent === "token-create") {
      const created = createToken({ username: form.username ?? "", name: form.name || undefined }, admin.id);
      return data({ shown: { kind: "token", username: form.username ?? "", name: form.name || "cli", ...created } satisfies Shown, refused: null });
    }
    if (intent === "token-revoke") {
      revokeToken(form.id ?? "", admin.id);
      return after("revoked", form.id ?? "");
    }
    return data({ shown: null, refused: { intent, subject: "", message: `unknown action "${intent}"`, fields: {} as Record<string, string> } satisfies Refusal }, { status: 400 });
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    const fields = (failure.details?.fields ?? {}) as Record<string, string>;
    const subject = form.username ?? form.id ?? "";
    return data({ shown: null, refused: { intent, subject, message: failure.message, fields } satisfies Refusal }, { status: failure.status });
  }
}

/** "2026-12-04 21:05 UTC": the same text on the server and in any browser's time zone (no hydration mismatch). */
function utc(ms: number | null): string {
  return ms === null ? "never" : `${new Date(ms).toISOString().replace("T", " ").slice(0, 16)} UTC`;
}

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <p className="field-error" id={id}>
      {message}
    </p>
  ) : null;
}

/** One bar per hour, oldest left; a bar's height is its count against the reviewer's busiest hour. */
function Sparkline({ perHour, label }: { perHour: number[]; label: string }) {
  const peak = Math.max(1, ...perHour);
  const height = 24;
  return (
    <svg className="sparkline" viewBox={`0 0 ${perHour.length} ${height}`} width={perHour.length * 2} height={height} role="img" aria-label={label} preserveAspectRatio="none">
      <title>{label}</title>
      <line x1={0} x2={perHour.length} y1={height - 0.5} y2={height - 0.5} className="sparkline-axis" />
      {perHour.map((n, i) =>
        n > 0 ? <rect key={i} x={i} width={1} y={height - Math.max(1, (n / peak) * height)} height={Math.max(1, (n / peak) * height)} /> : null,
      )}
    </svg>
  );
}

export default function UsersPage() {
  const { me, users, tokens, batches, activity, confirmDisable, notice, linkHours } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const shown = answer?.shown ?? null;
  // A secret appears at the top of the page while the form that asked for it may be far below
  // (a phone): focus brings it into view and has screen readers read it.
  const secretBox = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (shown) secretBox.current?.focus();
  }, [shown]);
  const refused = answer?.refused ?? null;
  const noFields: Record<string, string> = {};
  const createFields = refused?.intent === "create" ? refused.fields : noFields;
  const tokenFields = refused?.intent === "token-create" ? refused.fields : noFields;
  const toConfirm = users.find((u) => u.username === confirmDisable && !u.disabled && u.username !== me);
  const active = users.filter((u) => !u.disabled);
  const openBatches = batches.filter((b) => b.status !== "closed");

  const userColumns: ColumnDef<UserActivity, unknown>[] = [
    { accessorKey: "username", header: "Username", cell: ({ getValue }) => <strong>{String(getValue())}</strong> },
    { accessorKey: "displayName", header: "Display name" },
    { accessorKey: "role", header: "Role" },
    { id: "status", accessorFn: (u) => (u.disabled ? "disabled" : "active"), header: "Status", cell: ({ getValue }) => <span className={`status status-${String(getValue())}`}>{String(getValue())}</span> },
    { accessorKey: "createdAt", header: "Created", cell: ({ getValue }) => utc(getValue() as number) },
    { id: "lastSignIn", accessorFn: (u) => u.lastSignInAt ?? 0, header: "Last sign-in", cell: ({ row }) => utc(row.original.lastSignInAt) },
    {
      id: "batches",
      accessorFn: (u) => u.batches.map((b) => b.name).join(", "),
      header: "Batches",
      cell: ({ row }) => {
        const user = row.original;
        const addable = openBatches.filter((b) => !user.batches.some((mine) => mine.id === b.id));
        return (
          <div className="user-batches">
            {user.batches.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              <ul>
                {user.batches.map((b) => (
                  <li key={b.id}>
                    <Link to={`/admin/batches/${b.id}`}>{b.name}</Link>
                  </li>
                ))}
              </ul>
            )}
            {!user.disabled && addable.length > 0 && (
              <Form method="post" className="inline-form" aria-label={`Add ${user.username} to a batch`}>
                <input type="hidden" name="intent" value="assign" />
                <input type="hidden" name="username" value={user.username} />
                {/* aria-label, not a visually hidden span: an absolutely placed span escapes the table's scroll box and widens a phone's page. */}
                <select name="batch" required defaultValue="" aria-label={`Batch for ${user.username}`}>
                    <option value="" disabled>
                      add to batch…
                    </option>
                    {addable.map((b) => (
                      <option key={b.id} value={b.id}>
                        {b.name}
                      </option>
                    ))}
                </select>
                <button type="submit">Add</button>
              </Form>
            )}
          </div>
        );
      },
    },
    {
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) => {
        const user = row.original;
        return (
          <div className="user-actions">
            {user.disabled ? (
              <Form method="post" aria-label={`Enable ${user.username}`}>
                <input type="hidden" name="intent" value="enable" />
                <input type="hidden" name="username" value={user.username} />
                <button type="submit">Enable</button>
              </Form>
            ) : (
              <>
                <Form method="post" aria-label={`Reset the password of ${user.username}`}>
                  <input type="hidden" name="intent" value="reset" />
                  <input type="hidden" name="username" value={user.username} />
                  <button type="submit">Reset password</button>
                </Form>
                {user.username === me ? (
                  <span className="muted small">you</span>
                ) : (
                  <Link to={`/admin/users?${new URLSearchParams({ disable: user.username })}#confirm-disable`} className="danger-link">
                    Disable…
                  </Link>
                )}
              </>
            )}
          </div>
        );
      },
    },
  ];

  const tokenColumns: ColumnDef<TokenSummary, unknown>[] = [
    { accessorKey: "username", header: "User" },
    { accessorKey: "name", header: "Name" },
    { accessorKey: "id", header: "ID", cell: ({ getValue }) => <code className="token-id">{String(getValue())}</code> },
    { accessorKey: "createdAt", header: "Created", cell: ({ getValue }) => utc(getValue() as number) },
    { id: "lastUsed", accessorFn: (t) => t.lastUsedAt ?? 0, header: "Last use", cell: ({ row }) => utc(row.original.lastUsedAt) },
    {
      id: "status",
      accessorFn: (t) => (t.revokedAt ? "revoked" : "active"),
      header: "Status",
      cell: ({ row }) => (row.original.revokedAt ? `revoked ${utc(row.original.revokedAt)}` : "active"),
    },
    {
      id: "revoke",
      header: "Revoke",
      enableSorting: false,
      cell: ({ row }) =>
        row.original.revokedAt ? null : (
          <Form method="post" aria-label={`Revoke token ${row.original.id}`}>
            <input type="hidden" name="intent" value="token-revoke" />
            <input type="hidden" name="id" value={row.original.id} />
            <button type="submit" className="danger">
              Revoke
            </button>
          </Form>
        ),
    },
  ];

  const days = Array.from({ length: ACTIVITY_DAYS }, (_, d) => activity.start + d * 24 * 3_600_000);
  return (
    <>
      <section className="panel">
        <div className="panel-title">
          <h1>Users and tokens</h1>
        </div>
        <p className="muted">
          Also from the command line: <code>users invite</code>, <code>users list</code>, <code>users disable</code>, <code>users enable</code>,{" "}
          <code>users reset-password</code>, <code>tokens create</code>, <code>tokens list</code> and <code>tokens revoke</code>.
        </p>
        {notice && (
          <p className="notice success" role="status">
            {notice}
          </p>
        )}
        {refused && refused.intent !== "create" && refused.intent !== "token-create" && (
          <p className="notice failure" role="alert">
            {refused.subject ? `${refused.subject}: ` : ""}
            {refused.message}
          </p>
        )}
        {shown && (
          <div className="notice success one-time" role="status" data-testid="one-time" tabIndex={-1} ref={secretBox}>
            {shown.kind === "token" ? (
              <>
                <p>
                  Token <code>{shown.id}</code> for {shown.username} ({shown.name}). Copy it now: it is shown only this once.
                </p>
                <code className="secret" data-testid="secret">
                  {shown.token}
                </code>
              </>
            ) : (
              <>
                <p>
                  {shown.kind === "invite" ? `Created ${shown.username}. ` : ""}A one-time link for {shown.username} to set{" "}
                  {shown.kind === "invite" ? "their" : "a new"} password, valid {linkHours} hours (until {shown.expiresAt.replace("T", " ").slice(0, 16)} UTC).
                  Send it to them now: it is shown only this once.
                </p>
                <a className="secret" href={shown.link} data-testid="secret">
                  {shown.link}
                </a>
              </>
            )}
          </div>
        )}
        {toConfirm && (
          <div className="confirm-close" id="confirm-disable" role="alertdialog" aria-labelledby="confirm-disable-title">
            <h2 id="confirm-disable-title">Disable {toConfirm.username}?</h2>
            <ul>
              <li>They are signed out at once and cannot sign in, and their API tokens stop working.</li>
              <li>Their judgments stay. Enable the account to let them back in.</li>
            </ul>
            <div className="button-row">
              <Form method="post">
                <input type="hidden" name="intent" value="disable" />
                <input type="hidden" name="username" value={toConfirm.username} />
                <button type="submit" className="danger">
                  Disable {toConfirm.username}
                </button>
              </Form>
              <Link to="/admin/users">Cancel</Link>
            </div>
          </div>
        )}
        <DataTable label="Users" rows={users} columns={userColumns} initialSort={[{ id: "username", desc: false }]} />

        <h2 className="new-user-title">New user</h2>
        <p className="muted small">
          The account gets no password: you are shown a one-time link, valid {linkHours} hours, for its owner to choose one, so no one else ever knows it.
        </p>
        {refused?.intent === "create" && (
          <p className="notice failure" role="alert">
            {refused.message}
          </p>
        )}
        <Form method="post" className="inline-form new-user" aria-label="New user">
          <input type="hidden" name="intent" value="create" />
          <label>
            Username{" "}
            <input name="username" required autoComplete="off" aria-invalid={createFields.username ? true : undefined} aria-describedby={createFields.username ? "new-username-error" : undefined} />
          </label>
          <FieldError id="new-username-error" message={createFields.username} />
          <label>
            Display name <input name="display_name" autoComplete="off" />
          </label>
          <FieldError id="new-display-name-error" message={createFields.displayName} />
          <label>
            Role{" "}
            <select name="role" defaultValue="reviewer">
              <option value="reviewer">reviewer</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <FieldError id="new-role-error" message={createFields.role} />
          <button type="submit">Create user</button>
        </Form>
      </section>

      <section className="panel">
        <h2>Judgments per hour, last {ACTIVITY_DAYS} days</h2>
        <p className="muted small">
          One bar per hour (UTC), oldest on the left, from {days[0] ? utc(days[0]).slice(0, 10) : ""}; the last bar is the current hour. Heights are relative to each
          reviewer&apos;s busiest hour.
        </p>
        {activity.reviewers.length === 0 ? (
          <p className="muted">No reviewers yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table" aria-label="Judgments per hour">
              <thead>
                <tr>
                  <th scope="col">Reviewer</th>
                  <th scope="col" className="num">
                    Judgments
                  </th>
                  <th scope="col" className="num">
                    Busiest hour
                  </th>
                  <th scope="col" className="num">
                    Hours active
                  </th>
                  <th scope="col">Per hour</th>
                </tr>
              </thead>
              <tbody>
                {activity.reviewers.map((r) => {
                  const peak = Math.max(0, ...r.perHour);
                  const activeHours = r.perHour.filter((n) => n > 0).length;
                  return (
                    <tr key={r.username}>
                      <th scope="row">{r.username}</th>
                      <td className="num">{formatFigure(r.total, "count")}</td>
                      <td className="num">{formatFigure(peak, "count")}</td>
                      <td className="num">{formatFigure(activeHours, "count")}</td>
                      <td>
                        <Sparkline perHour={r.perHour} label={`${r.username}: ${r.total} judgments in ${activeHours} hours, at most ${peak} in an hour`} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="panel">
        <h2>API tokens</h2>
        <p className="muted small">
          Bearer tokens for the HTTP API (<code>Authorization: Bearer vrd_…</code>). Only a hash is stored: a token is shown once, when it is made. A revoked
          token, or one of a disabled user, is answered 401.
        </p>
        {tokens.length === 0 ? <p className="muted">No tokens yet.</p> : <DataTable label="API tokens" rows={tokens} columns={tokenColumns} />}
        {refused?.intent === "token-create" && (
          <p className="notice failure" role="alert">
            {refused.message}
          </p>
        )}
        <Form method="post" className="inline-form" aria-label="New API token">
          <input type="hidden" name="intent" value="token-create" />
          <label>
            User{" "}
            <select name="username" required defaultValue="">
              <option value="" disabled>
                choose…
              </option>
              {active.map((u) => (
                <option key={u.id} value={u.username}>
                  {u.username}
                </option>
              ))}
            </select>
          </label>
          <label>
            Name <input name="name" placeholder="cli" maxLength={80} autoComplete="off" />
          </label>
          <FieldError id="token-name-error" message={tokenFields.name} />
          <button type="submit">Create token</button>
        </Form>
      </section>
    </>
  );
}
