import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireRole } from "~/services/auth.server";
import { progressOf } from "~/services/imports.server";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const job = new URL(request.url).searchParams.get("job") ?? "";
  return Response.json({ progress: progressOf(job) }, { headers: { "Cache-Control": "no-store" } });
}
