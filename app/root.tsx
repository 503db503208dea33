import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { getUser } from "./services/auth.server";
import stylesheet from "./styles/app.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];
export const meta: MetaFunction = () => [{ title: "Verdict" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getUser(request);
  return { user: user && { username: user.username, displayName: user.displayName, role: user.role } };
}

function Header() {
  const root = useRouteLoaderData<typeof loader>("root");
  const user = root?.user;
  return (
    <header className="app-header">
      <Link to="/" className="brand" aria-label="Verdict home">
        Verdict
      </Link>
      {user && (
        <nav aria-label="Main">
          <NavLink to="/review">Review</NavLink>
          {user.role === "admin" && <NavLink to="/admin/datasets">Datasets</NavLink>}
          {user.role === "admin" && <NavLink to="/admin/batches" end>Batches</NavLink>}
        </nav>
      )}
      {user && (
        <div className="who">
          <span>
            {user.displayName} <span className="muted">({user.role})</span>
          </span>
          <Form method="post" action="/logout">
            <button type="submit" className="link-button">
              Sign out
            </button>
          </Form>
        </div>
      )}
    </header>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <link rel="icon" href="data:," />
        <Meta />
        <Links />
      </head>
      <body>
        <Header />
        <main className="app-main">{children}</main>
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  if (isRouteErrorResponse(error)) {
    const body = error.data as { error?: { message?: string } } | string | undefined;
    const message = typeof body === "string" ? body : body?.error?.message;
    return (
      <section className="panel error-page" role="alert">
        <h1>
          {error.status} {error.statusText || (error.status === 403 ? "Forbidden" : "Error")}
        </h1>
        <p>{message ?? "Something went wrong."}</p>
        <p>
          <Link to="/">Back to start</Link>
        </p>
      </section>
    );
  }
  return (
    <section className="panel error-page" role="alert">
      <h1>Unexpected error</h1>
      <p>Verdict hit an error it did not expect. The server log has the details.</p>
    </section>
  );
}
