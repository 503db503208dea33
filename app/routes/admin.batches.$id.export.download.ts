import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireRole } from "~/services/auth.server";
import { exportFileDownload } from "~/services/export-files.server";
import { apiResponse } from "~/services/http.server";

/** The export page's download link: the same stream as the API, for a signed-in admin. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, "admin");
  return apiResponse(() => exportFileDownload(params.id!, Object.fromEntries(new URL(request.url).searchParams), { actorId: user.id, signal: request.signal }));
}
