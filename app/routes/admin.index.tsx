import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { requireRole } from "~/services/auth.server";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  throw redirect("/admin/datasets");
}
