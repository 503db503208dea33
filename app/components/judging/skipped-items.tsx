import { useEffect, useState } from "react";

/** A skipped item as `/review/:batchId/skipped` lists it. */
export interface SkippedItem {
  assignment_id: string;
  prompt_preview: string;
  skipped_at: number;
  can_take_back: boolean;
}

export interface SkippedItemsProps {
  batchId: string;
  /** How many items the reviewer skipped; the list is fetched again when it changes. */
  count: number;
  /** Takes one back; resolves to an error message when the server refused. */
  onTakeBack(assignmentId: string): Promise<string | null>;
  onClose(): void;
}

/** The reviewer's skipped items in a batch, each with "Take back" while it still needs a judgment. */
export function SkippedItems({ batchId, count, onTakeBack, onClose }: SkippedItemsProps) {
  const [items, setItems] = useState<SkippedItem[] | null>(null);
  const [failure, setFailure] = useState<{ id: string; message: string } | null>(null);
  useEffect(() => {
    let live = true;
    void fetch(`/review/${batchId}/skipped`)
      .then((response) => response.json() as Promise<{ items?: SkippedItem[] }>)
      .then((answer) => live && setItems(answer.items ?? []))
      .catch(() => live && setItems([]));
    return () => {
      live = false;
    };
  }, [batchId, count]);

  return (
    <section className="skipped-items panel" aria-label="Items you skipped">
      <div className="skipped-head">
        <h2>Items you skipped</h2>
        <button type="button" className="link-button small" onClick={onClose}>
          Close
        </button>
      </div>
      {items === null ? (
        <p className="muted small">Loading…</p>
      ) : items.length === 0 ? (
        <p className="muted small">You have not skipped anything in this batch.</p>
      ) : (
        <ol className="skipped-list">
          {items.map((item) => (
            <li key={item.assignment_id}>
              <span className="skipped-preview">{item.prompt_preview || "(no prompt)"}</span>
              {item.can_take_back ? (
                <button
                  type="button"
                  onClick={() => {
                    setFailure(null);
                    void onTakeBack(item.assignment_id).then((message) => message && setFailure({ id: item.assignment_id, message }));
                  }}
                >
                  Take back
                </button>
              ) : (
                <span className="muted small">judged by enough reviewers</span>
              )}
              {failure?.id === item.assignment_id && (
                <p className="field-error" role="alert">
                  {failure.message}
                </p>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
