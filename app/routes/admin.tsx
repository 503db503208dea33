import type { LoaderFunctionArgs } from "@remix-run/node";
import { Outlet } from "@remix-run/react";
import { requireRole } from "~/services/auth.server";

// Every page under /admin is for admins; child loaders check again, since they run in parallel.
export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return null;
}

export default function Admin() {
  return <Outlet />;
}
