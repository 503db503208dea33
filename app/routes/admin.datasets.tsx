import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { DatasetUpload } from "~/components/dataset-upload";
import { requireRole } from "~/services/auth.server";
import { listDatasets } from "~/services/datasets.server";
import { formatFigure } from "~/core/figures";

export const meta: MetaFunction = () => [{ title: "Datasets · Verdict" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return { datasets: listDatasets() };
}

export default function Datasets() {
  const { datasets } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  return (
    <>
      <section className="panel">
        <h1>Datasets</h1>
        <p className="muted">
          Import prompts with their responses. A file with any invalid line imports nothing and lists every bad line.
        </p>
        <DatasetUpload onImported={() => revalidator.revalidate()} />
      </section>
      <section className="panel">
        <h2>All datasets</h2>
        {datasets.length === 0 ? (
          <p className="muted">No datasets yet.</p>
        ) : (
          <div className="table-scroll"><table className="data-table" aria-label="Datasets">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">Prompts</th>
                <th scope="col" className="num">Responses</th>
                <th scope="col" className="num">Models</th>
                <th scope="col" className="num">Imported pairs</th>
                <th scope="col">Source</th>
                <th scope="col">Licence</th>
                <th scope="col">Created</th>
                <th scope="col">Pages</th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((d) => (
                <tr key={d.id} data-dataset={d.name}>
                  <th scope="row">
                    <Link to={`/admin/datasets/${encodeURIComponent(d.name)}`}>{d.name}</Link>
                    {d.description && <div className="muted small">{d.description}</div>}
                  </th>
                  <td className="num" data-col="prompts">{formatFigure(d.prompts, "count")}</td>
                  <td className="num" data-col="responses">{formatFigure(d.responses, "count")}</td>
                  <td className="num" data-col="models">{d.models}</td>
                  <td className="num" data-col="pairs">{formatFigure(d.importedPairs, "count")}</td>
                  <td className="muted">{d.source}</td>
                  <td data-col="license">{d.license ?? <span className="muted">not given</span>}</td>
                  <td className="muted">{new Date(d.createdAt).toISOString().slice(0, 16).replace("T", " ")}</td>
                  <td>
                    <Link to={`/admin/datasets/${encodeURIComponent(d.name)}/leaderboard`}>Leaderboard</Link>
                    {" · "}
                    <Link to={`/admin/datasets/${encodeURIComponent(d.name)}/sample`} aria-label={`Sample responses into ${d.name}`}>
                      Sample
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </section>
    </>
  );
}
