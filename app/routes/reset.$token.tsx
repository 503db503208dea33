import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { asServiceError } from "~/services/errors.server";
import { completePasswordReset, passwordResetOf } from "~/services/password-resets.server";

export const meta: MetaFunction = () => [{ title: "Set a new password · Verdict" }, { name: "referrer", content: "no-referrer" }];

/**
 * The page of a one-time password link (made by an admin: `users reset-password NAME`). Open to
 * anyone holding the link; the token in the URL is the only credential, so the page sends no
 * Referer anywhere and the link is spent when the password is set.
 */
export async function loader({ params }: LoaderFunctionArgs) {
  try {
    return data({ account: passwordResetOf(params.token!), gone: null });
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    return data({ account: null, gone: failure.message }, { status: failure.status });
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  try {
    const { username } = await completePasswordReset(params.token!, form);
    throw redirect(`/login?${new URLSearchParams({ reset: "done", username })}`);
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    const fields = (failure.details?.fields ?? {}) as Record<string, string>;
    return data({ message: failure.code === "invalid" ? null : failure.message, fields }, { status: failure.status });
  }
}

export default function ResetPassword() {
  const { account, gone } = useLoaderData<typeof loader>();
  const refused = useActionData<typeof action>();
  const navigation = useNavigation();
  const fields: Record<string, string> = refused?.fields ?? {};
  const message = gone ?? refused?.message;
  if (!account || (refused && refused.message)) {
    return (
      <section className="panel login">
        <h1>Set a new password</h1>
        <p className="notice failure" role="alert">
          {message ? `${message.charAt(0).toUpperCase()}${message.slice(1)}.` : "This link is not valid."}
        </p>
        <p>
          <Link to="/login">Sign in</Link>
        </p>
      </section>
    );
  }
  return (
    <section className="panel login">
      <h1>Set a new password</h1>
      <p>
        For <strong>{account.displayName}</strong> ({account.username}). The link works once, until {account.expiresAt.replace("T", " ").slice(0, 16)} UTC; setting
        the password signs this account out everywhere.
      </p>
      <Form method="post" noValidate>
        <input type="text" name="username" autoComplete="username" defaultValue={account.username} hidden readOnly />
        <label>
          New password
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={10}
            required
            autoFocus
            aria-invalid={fields.password ? true : undefined}
            aria-describedby={fields.password ? "password-error" : "password-hint"}
          />
        </label>
        {fields.password ? (
          <p id="password-error" className="field-error">
            {fields.password}
          </p>
        ) : (
          <p id="password-hint" className="muted small">
            At least 10 characters.
          </p>
        )}
        <label>
          The same again
          <input
            name="confirm"
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={fields.confirm ? true : undefined}
            aria-describedby={fields.confirm ? "confirm-error" : undefined}
          />
        </label>
        {fields.confirm && (
          <p id="confirm-error" className="field-error">
            {fields.confirm}
          </p>
        )}
        <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Setting…" : "Set the password"}
        </button>
      </Form>
    </section>
  );
}
