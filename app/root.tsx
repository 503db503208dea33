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
  useLocation,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { useCspNonce } from "./csp-nonce";
import { getUser } from "./services/auth.server";
import stylesheet from "./styles/app.css?url";

/** Headings (and document titles) of the error pages a user meets in normal use. */
const TITLES: Record<number, string> = { 403: "Not allowed", 404: "Page not found" };

export const links: LinksFunction = () => [
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
  { rel: "stylesheet", href: stylesheet },
];
export const meta: MetaFunction = ({ error }) => {
  const status = isRouteErrorResponse(error) ? error.status : null;
  return [{ title: status && TITLES[status] ? `${TITLES[status]} · Verdict` : "Verdict" }];
};

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
          {user.role === "admin" && <NavLink to="/admin/models">Models</NavLink>}
          {user.role === "admin" && <NavLink to="/admin/users">Users</NavLink>}
          {user.role === "admin" && <NavLink to="/admin/audit">Audit</NavLink>}
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
  const nonce = useCspNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <Meta />
        <Links />
      </head>
      <body>
        <Header />
        <main className="app-main">{children}</main>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

/** The way back from an error page: the reviewer's batches, and the admin pages for admins. */
function HomeLinks() {
  const user = useRouteLoaderData<typeof loader>("root")?.user;
  if (!user) {
    return (
      <p>
        <Link to="/login">Sign in</Link>
      </p>
    );
  }
  return (
    <nav aria-label="Home">
      <ul className="home-links">
        <li>
          <Link to="/review">Your batches</Link>
        </li>
        {user.role === "admin" && (
          <li>
            <Link to="/admin">Admin</Link>
          </li>
        )}
      </ul>
    </nav>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const { pathname } = useLocation();
  if (isRouteErrorResponse(error)) {
    const body = error.data as { error?: { message?: string } } | string | undefined;
    const message = (typeof body === "string" ? body : body?.error?.message) || (error.status === 404 ? `There is no page at ${pathname}.` : "Something went wrong.");
    return (
      <section className="panel error-page" role="alert">
        <h1>{TITLES[error.status] ?? `${error.status} ${error.statusText || "Error"}`}</h1>
        <p>{message}</p>
        <HomeLinks />
      </section>
    );
  }
  return (
    <section className="panel error-page" role="alert">
      <h1>Unexpected error</h1>
      <p>Verdict hit an error it did not expect. The server log has the details.</p>
      <HomeLinks />
    </section>
  );
}
