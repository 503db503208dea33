import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { IMPORT_FORMATS } from "~/core/formats";
import { requireRole } from "~/services/auth.server";
import { errorResponse, invalidInput } from "~/services/http.server";
import { importUpload, trackProgress } from "~/services/imports.server";

/**
 * POST the file itself as the body (not multipart) with the options in the query string:
 * the server spools it to disk as it arrives and imports it, all or nothing.
 */
const querySchema = z.object({
  dataset: z.string().min(1, "Enter a dataset name"),
  format: z.enum(["auto", ...IMPORT_FORMATS]).default("auto"),
  upsert: z.enum(["0", "1"]).default("0").transform((v) => v === "1"),
  filename: z.string().max(255).default("upload"),
  description: z.string().max(2000).optional(),
  license: z.string().max(100).optional(),
  job: z.string().regex(/^[A-Za-z0-9-]{8,64}$/).optional(),
});

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "admin");
  if (request.method !== "POST") return Response.json({ error: { code: "method", message: "use POST" } }, { status: 405 });
  const query = querySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return invalidInput(query.error);
  const length = request.headers.get("content-length");
  try {
    const summary = await importUpload(
      request.body,
      {
        dataset: query.data.dataset,
        format: query.data.format,
        upsert: query.data.upsert,
        description: query.data.description,
        license: query.data.license,
        fileName: query.data.filename,
        declaredBytes: length ? Number(length) : null,
      },
      { onProgress: trackProgress(query.data.job ?? null), signal: request.signal, actorId: user.id },
    );
    return Response.json(summary, { status: 201 });
  } catch (error) {
    return errorResponse(error);
  }
}

export async function loader() {
  return Response.json({ error: { code: "method", message: "POST a file to import it" } }, { status: 405 });
}
