import { useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from "react";
import { formatBytes } from "~/core/formats/lines";
import { ProgressBar } from "./progress-bar";
import { formatFigure } from "~/core/figures";
import { HUB_LICENSES } from "~/core/formats/export/licenses";

/** The import takes a listed licence; `other` needs a name and link, which are given at export. */
const IMPORT_LICENSES = HUB_LICENSES.filter((id) => id !== "other");

const FORMATS = [
  ["auto", "Detect from the first line"],
  ["native", "Native JSONL"],
  ["flat", "Flat (JSONL or CSV)"],
  ["trl", "TRL preference"],
  ["hh-rlhf", "HH-RLHF transcripts"],
] as const;

interface Summary {
  dataset: string;
  format: string;
  prompts: number;
  responses: number;
  pairs: number;
}

type UploadState =
  | { status: "idle" }
  | { status: "uploading"; sent: number; total: number }
  | { status: "importing"; bytes: number; total: number; lines: number }
  | { status: "done"; summary: Summary }
  | { status: "failed"; message: string; lines: string[]; count: number };

const noSubscription = () => () => {};

/** "hh-rlhf-test.jsonl.gz" → "hh-rlhf-test": a dataset name to start from. */
function nameFromFile(fileName: string): string {
  return fileName.replace(/(\.gz)?$/, "").replace(/\.(jsonl|json|csv|ndjson)$/i, "").replace(/[^A-Za-z0-9 _.-]/g, "-").slice(0, 100);
}

/**
 * Sends the file as the raw request body with XMLHttpRequest, whose upload events give a
 * true progress bar, then polls the server's import progress until the answer arrives.
 */
export function DatasetUpload({ onImported }: { onImported: () => void }) {
  const [state, setState] = useState<UploadState>({ status: "idle" });
  const [name, setName] = useState("");
  const poll = useRef<ReturnType<typeof setInterval> | null>(null);
  const stopPolling = () => {
    if (poll.current) clearInterval(poll.current);
    poll.current = null;
  };
  useEffect(() => stopPolling, []);
  // The form only works through the script below, so it stays disabled until hydration:
  // the server snapshot is false, the browser's true.
  const hydrated = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );

  const busy = state.status === "uploading" || state.status === "importing";

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) {
      setState({ status: "failed", message: "Choose a non-empty file to import.", lines: [], count: 0 });
      return;
    }
    const dataset = String(form.get("dataset") ?? "").trim() || nameFromFile(file.name);
    const job = crypto.randomUUID();
    const query = new URLSearchParams({
      dataset,
      format: String(form.get("format") ?? "auto"),
      upsert: form.get("upsert") ? "1" : "0",
      ...(form.get("license") ? { license: String(form.get("license")) } : {}),
      filename: file.name,
      job,
    });
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/admin/datasets/import?${query}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    setState({ status: "uploading", sent: 0, total: file.size });
    xhr.upload.onprogress = (e) => setState({ status: "uploading", sent: e.loaded, total: e.total || file.size });
    xhr.upload.onload = () => {
      setState({ status: "importing", bytes: 0, total: file.size, lines: 0 });
      poll.current = setInterval(async () => {
        const res = await fetch(`/admin/datasets/import/progress?job=${job}`).catch(() => null);
        const body = (await res?.json().catch(() => null)) as { progress: { phase: string; bytes: number; lines: number } | null } | null;
        const p = body?.progress;
        if (p && p.phase === "import") {
          setState((s) => (s.status === "importing" ? { ...s, bytes: p.bytes, lines: p.lines } : s));
        }
      }, 250);
    };
    xhr.onload = () => {
      stopPolling();
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: a proxy's error page, or the login page after the session expired
      }
      if (xhr.status === 201) {
        setState({ status: "done", summary: body as Summary });
        setName("");
        (event.target as HTMLFormElement).reset();
        onImported();
        return;
      }
      const error = (body as { error?: { message?: string; details?: { lines?: string[]; count?: number } } } | null)?.error;
      setState({
        status: "failed",
        message: error?.message ?? `The server answered ${xhr.status}; sign in again if your session ended.`,
        lines: error?.details?.lines ?? [],
        count: error?.details?.count ?? 0,
      });
    };
    xhr.onerror = () => {
      stopPolling();
      setState({ status: "failed", message: "The upload failed: the connection to the server was lost.", lines: [], count: 0 });
    };
    xhr.send(file);
  }

  return (
    <form className="upload" onSubmit={submit} aria-label="Import a dataset">
      <div className="form-row">
        <label>
          File (.jsonl, .csv, optionally .gz)
          <input
            type="file"
            name="file"
            required
            accept=".jsonl,.json,.ndjson,.csv,.gz"
            disabled={busy}
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f && !name) setName(nameFromFile(f.name));
            }}
          />
        </label>
        <label>
          Dataset name
          <input name="dataset" value={name} onChange={(e) => setName(e.currentTarget.value)} placeholder="from the file name" disabled={busy} />
        </label>
        <label>
          Format
          <select name="format" defaultValue="auto" disabled={busy}>
            {FORMATS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Licence
          <select name="license" defaultValue="" disabled={busy}>
            <option value="">not given (a re-import keeps the dataset's)</option>
            {IMPORT_LICENSES.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" name="upsert" disabled={busy} /> Replace prompts with the same id
        </label>
        <button type="submit" className="primary" disabled={busy || !hydrated}>
          {busy ? "Importing…" : "Import"}
        </button>
      </div>

      {state.status === "uploading" && (
        <ProgressBar label="Uploading" value={state.sent} max={state.total} detail={`${formatBytes(state.sent)} of ${formatBytes(state.total)}`} />
      )}
      {state.status === "importing" && (
        <ProgressBar
          label="Importing"
          value={state.bytes}
          max={state.total}
          detail={`${formatFigure(state.lines, "count")} lines checked and written`}
        />
      )}
      {state.status === "done" && (
        <p className="notice success" role="status">
          Imported {formatFigure(state.summary.prompts, "count")} prompts, {formatFigure(state.summary.responses, "count")} responses and{" "}
          {formatFigure(state.summary.pairs, "count")} pairs into “{state.summary.dataset}” ({state.summary.format}).
        </p>
      )}
      {state.status === "failed" && (
        <div className="notice failure" role="alert">
          <p>{state.message}</p>
          {state.lines.length > 0 && (
            <ul className="error-lines" aria-label="Invalid lines">
              {state.lines.map((line) => (
                <li key={line}>
                  <code>{line}</code>
                </li>
              ))}
            </ul>
          )}
          {state.count > state.lines.length && <p className="muted">… and {state.count - state.lines.length} more.</p>}
        </div>
      )}
    </form>
  );
}
