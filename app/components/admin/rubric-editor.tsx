import { useRef, useState } from "react";
import type { RubricRowValues } from "~/core/tasks/batch-form";

/** Rubric aspects a batch may have (batchConfigSchema allows 1..8). */
const MAX_ASPECTS = 8;

interface Row extends RubricRowValues {
  id: number;
}

/**
 * A rating batch's rubric, one row per aspect: key, label, score range, and which aspect is
 * overall (its score differences become preference pairs). Rows are plain form fields
 * (`aspectKey`, `aspectLabel`, `aspectMin`, `aspectMax` in row order, `overallRow` the index), so
 * the form submits them as they are; without JavaScript a row is dropped by clearing it.
 */
export function RubricEditor({ initial, initialOverall, fields }: { initial: RubricRowValues[]; initialOverall: number; fields: Record<string, string> }) {
  const nextId = useRef(initial.length);
  const [rows, setRows] = useState<Row[]>(() => initial.map((row, id) => ({ ...row, id })));
  const [overall, setOverall] = useState(initialOverall);
  const update = (id: number, part: keyof RubricRowValues, value: string) =>
    setRows((current) => current.map((row) => (row.id === id ? { ...row, [part]: value } : row)));
  const remove = (id: number) => {
    setRows((current) => current.filter((row) => row.id !== id));
    if (id === overall) setOverall(rows.find((row) => row.id !== id)?.id ?? 0);
  };
  const add = () => {
    const id = nextId.current++;
    setRows((current) => [...current, { id, key: "", label: "", min: "1", max: "5" }]);
  };
  const message = (i: number, part: string) => fields[`rubric.${i}.${part}`];
  return (
    <fieldset data-task="rating" className="rubric">
      <legend>Rubric (rating)</legend>
      <table className="rubric-table" aria-label="Rubric aspects">
        <thead>
          <tr>
            <th scope="col">Overall</th>
            <th scope="col">Key</th>
            <th scope="col">Label</th>
            <th scope="col">Min</th>
            <th scope="col">Max</th>
            <td />
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={row.id}>
              <td>
                <input
                  type="radio"
                  name="overallRow"
                  value={i}
                  checked={row.id === overall}
                  onChange={() => setOverall(row.id)}
                  aria-label={`Aspect ${i + 1} is overall`}
                />
              </td>
              {(["key", "label", "min", "max"] as const).map((part) => (
                <td key={part}>
                  <input
                    name={`aspect${part[0]!.toUpperCase()}${part.slice(1)}`}
                    value={row[part]}
                    onChange={(event) => update(row.id, part, event.target.value)}
                    aria-label={`Aspect ${i + 1} ${part}`}
                    aria-invalid={message(i, part) ? true : undefined}
                    aria-describedby={message(i, part) ? `rubric-${i}-${part}-error` : undefined}
                    inputMode={part === "min" || part === "max" ? "numeric" : undefined}
                    size={part === "label" ? 18 : part === "key" ? 14 : 4}
                    placeholder={part === "key" ? "e.g. clarity" : part === "label" ? "e.g. Clarity" : undefined}
                  />
                  {message(i, part) && (
                    <p className="field-error" id={`rubric-${i}-${part}-error`}>
                      {message(i, part)}
                    </p>
                  )}
                </td>
              ))}
              <td>
                <button type="button" onClick={() => remove(row.id)} disabled={rows.length === 1} aria-label={`Remove aspect ${i + 1}`}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={add} disabled={rows.length >= MAX_ASPECTS}>
        Add aspect
      </button>
      {(fields.rubric || fields.overallAspect) && (
        <p className="field-error">{[fields.rubric, fields.overallAspect].filter(Boolean).join("; ")}</p>
      )}
      <p className="muted small">
        Keys are lower-case (letters, digits, _). The overall aspect&apos;s score differences become the preference pairs; leave a row empty to drop
        it.
      </p>
    </fieldset>
  );
}
