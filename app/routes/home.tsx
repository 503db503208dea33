import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { homeOf, requireUser } from "~/services/auth.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  throw redirect(homeOf(user));
}
