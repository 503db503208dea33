import { Form, Link, useNavigate } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { formatFigure } from "~/core/figures";

/**
 * The second step of closing a batch: what closing does, and the real Close button. It is a
 * page state (`?confirm=close&id=…`) rather than `window.confirm`, so it works without
 * JavaScript and reads like the rest of the page; with JavaScript, focus moves here and
 * Escape cancels.
 */
export function CloseConfirmation({
  batch,
  cancelTo,
  reopenFrom = "this list",
}: {
  batch: { id: string; name: string; status: string; judgments: number };
  cancelTo: string;
  /** Where the admin reopens it: the batch list, or the batch's own page. */
  reopenFrom?: string;
}) {
  const region = useRef<HTMLElement>(null);
  const navigate = useNavigate();
  useEffect(() => {
    region.current?.focus();
  }, [batch.id]);
  return (
    <section
      ref={region}
      id="confirm-close"
      className="confirm-close"
      role="region"
      aria-labelledby="confirm-close-title"
      tabIndex={-1}
      onKeyDown={(event) => {
        if (event.key === "Escape") navigate(cancelTo, { preventScrollReset: true });
      }}
    >
      <h2 id="confirm-close-title">Close “{batch.name}”?</h2>
      <ul>
        <li>Reviewers can no longer judge it: it stays in their list, marked closed.</li>
        <li>Items reviewers are holding right now are released.</li>
        <li>
          Its {formatFigure(batch.judgments, "count")} {batch.judgments === 1 ? "judgment is" : "judgments are"} kept; its statistics and exports
          work as before.
        </li>
        <li>You can reopen it from {reopenFrom} at any time.</li>
      </ul>
      <Form method="post" className="inline-actions">
        <input type="hidden" name="id" value={batch.id} />
        <button type="submit" name="intent" value="close" className="danger">
          Close batch
        </button>
        <Link to={cancelTo} className="button" preventScrollReset>
          Cancel, keep it {batch.status}
        </Link>
      </Form>
    </section>
  );
}
