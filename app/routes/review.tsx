import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireUser } from "~/services/auth.server";

export const meta: MetaFunction = () => [{ title: "My batches · Verdict" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return { displayName: user.displayName };
}

export default function Review() {
  const { displayName } = useLoaderData<typeof loader>();
  return (
    <section className="panel">
      <h1>My batches</h1>
      <p className="muted">Welcome, {displayName}. No labeling batches are assigned to you yet.</p>
    </section>
  );
}
