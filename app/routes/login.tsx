import { safeRedirect } from "~/core/auth/redirect";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { getUser, homeOf, logIn } from "~/services/auth.server";
import { asServiceError } from "~/services/errors.server";

export const meta: MetaFunction = () => [{ title: "Sign in · Verdict" }];

const loginSchema = z.object({
  username: z.string().trim().min(1, "Enter your username").max(64),
  password: z.string().min(1, "Enter your password").max(1024),
  redirectTo: z.string().optional(),
});

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getUser(request);
  if (user) throw redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo"), homeOf(user)));
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = loginSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message]));
    return data({ message: null, fields }, { status: 400 });
  }
  try {
    const { user, setCookie } = await logIn(request, { ...parsed.data, address: context.clientAddress ?? "unknown" });
    throw redirect(safeRedirect(parsed.data.redirectTo, homeOf(user)), { headers: { "Set-Cookie": setCookie } });
  } catch (error) {
    const failure = asServiceError(error);
    if (failure) {
      const headers: Record<string, string> = {};
      if (failure.retryAfterSeconds !== null) headers["Retry-After"] = String(failure.retryAfterSeconds);
      return data({ message: failure.message, fields: {} as Record<string, string> }, { status: failure.status, headers });
    }
    throw error;
  }
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const fields: Record<string, string> = result?.fields ?? {};
  return (
    <section className="panel login">
      <h1>Sign in to Verdict</h1>
      {params.get("reset") === "done" && (
        <p className="notice success" role="status">
          Your new password is set{params.get("username") ? ` for ${params.get("username")}` : ""}. Sign in with it.
        </p>
      )}
      <Form method="post" noValidate>
        <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? ""} />
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            aria-invalid={fields.username ? true : undefined}
            aria-describedby={fields.username ? "username-error" : undefined}
          />
        </label>
        {fields.username && (
          <p id="username-error" className="field-error">
            {fields.username}
          </p>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            aria-invalid={fields.password ? true : undefined}
            aria-describedby={fields.password ? "password-error" : undefined}
          />
        </label>
        {fields.password && (
          <p id="password-error" className="field-error">
            {fields.password}
          </p>
        )}
        {result?.message && (
          <p className="form-error" role="alert">
            {result.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Signing in…" : "Sign in"}
        </button>
      </Form>
    </section>
  );
}
