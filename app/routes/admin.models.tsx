import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { formatFigure } from "~/core/figures";
import { requireRole } from "~/services/auth.server";
import { asServiceError } from "~/services/errors.server";
import { listModels, setModelPrice } from "~/services/models.server";
import adminStyles from "~/styles/admin.css?url";

export const meta: MetaFunction = () => [{ title: "Models · Verdict" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: adminStyles }];

/** The models responses carry, with their prices: what leaderboards turn into a cost per 1,000 responses. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return { models: listModels(), saved: new URL(request.url).searchParams.get("saved") };
}

export async function action({ request }: ActionFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const form = Object.fromEntries(await request.formData());
  try {
    const price = setModelPrice(form, admin.id);
    return redirect(`/admin/models?${new URLSearchParams({ saved: price.model })}`);
  } catch (error) {
    const failure = asServiceError(error);
    if (!failure) throw error;
    const fields = (failure.details?.fields ?? {}) as Record<string, string>;
    return data({ model: String(form.model ?? ""), message: failure.message, fields }, { status: failure.status });
  }
}

export default function ModelsPage() {
  const { models, saved } = useLoaderData<typeof loader>();
  const refused = useActionData<typeof action>();
  const navigation = useNavigation();
  return (
    <section className="panel">
      <div className="panel-title">
        <h1>Models</h1>
      </div>
      <p className="muted">
        Prices in USD per million input and output tokens. With the token usage their responses record (sampled, or <code>usage.prompt_tokens</code> and{" "}
        <code>usage.completion_tokens</code> in imported metadata), leaderboards show what 1,000 responses of each model cost beside its rating, and mark the
        models no other beats on both. Also from the command line: <code>models price --model M --input-usd-per-mtok X --output-usd-per-mtok Y</code>.
      </p>
      {saved && (
        <p className="notice success" role="status">
          Saved the price of {saved}.
        </p>
      )}
      {refused && (
        <p className="notice failure" role="alert">
          {refused.model ? `${refused.model}: ` : ""}
          {refused.message}
        </p>
      )}
      {models.length === 0 ? (
        <p className="muted">No models yet: import a dataset with responses, or add a price below before sampling.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label="Models">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col" className="num">
                  Responses
                </th>
                <th scope="col">Price (USD per million tokens: input, output)</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={m.model}>
                  <th scope="row">{m.model}</th>
                  <td className="num">{formatFigure(m.responses, "count")}</td>
                  <td>
                    <Form method="post" className="inline-form" aria-label={`Price of ${m.model}`}>
                      <input type="hidden" name="model" value={m.model} />
                      <label>
                        <span className="visually-hidden">Input USD per million tokens for {m.model}</span>
                        <input name="input_usd_per_mtok" type="number" min={0} step="any" required defaultValue={m.price?.input_usd_per_mtok ?? ""} placeholder="input" size={8} />
                      </label>
                      <label>
                        <span className="visually-hidden">Output USD per million tokens for {m.model}</span>
                        <input name="output_usd_per_mtok" type="number" min={0} step="any" required defaultValue={m.price?.output_usd_per_mtok ?? ""} placeholder="output" size={8} />
                      </label>
                      <button type="submit">{navigation.state === "submitting" && navigation.formData?.get("model") === m.model ? "Saving…" : "Save"}</button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>A model without responses yet</h2>
      <Form method="post" className="inline-form" aria-label="Price of a new model">
        <label>
          Model <input name="model" required placeholder="gpt-4o-mini" />
        </label>
        <label>
          Input <input name="input_usd_per_mtok" type="number" min={0} step="any" required size={8} />
        </label>
        <label>
          Output <input name="output_usd_per_mtok" type="number" min={0} step="any" required size={8} />
        </label>
        <button type="submit">Save</button>
      </Form>
    </section>
  );
}
