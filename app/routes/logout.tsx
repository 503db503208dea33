import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { logOut } from "~/services/auth.server";

export async function action({ request }: ActionFunctionArgs) {
  throw redirect("/login", { headers: { "Set-Cookie": await logOut(request) } });
}

export async function loader() {
  throw redirect("/");
}
