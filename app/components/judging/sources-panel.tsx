import type { ViewDocument } from "~/core/tasks/view";
import { Markdown } from "../markdown";

export interface SourcesPanelProps {
  /** The prompt's reference answer (or reference material), or null. */
  reference: string | null | undefined;
  /** The prompt's context documents, in order. */
  context: readonly ViewDocument[] | undefined;
}

/** "2 documents", "a reference answer and 1 document": what the collapsed panel holds. */
export function sourcesSummary(reference: string | null | undefined, context: readonly ViewDocument[] | undefined): string {
  const documents = context?.length ?? 0;
  const parts = [reference ? "reference answer" : "", documents ? `${documents} document${documents === 1 ? "" : "s"}` : ""].filter(Boolean);
  return parts.join(" · ");
}

/**
 * The prompt's sources of truth (issue 13) beside the conversation: the reference answer and
 * each context document, each under its title, the whole panel and each source a <details>
 * open by default, so a reviewer can fold away what they have read. The texts are untrusted
 * and rendered by the same sanitized Markdown as the responses. Nothing when there are none.
 */
export function SourcesPanel({ reference, context = [] }: SourcesPanelProps) {
  if (!reference && context.length === 0) return null;
  return (
    <section className="sources" aria-label="Sources of truth" data-sources>
      <details open className="sources-details">
        <summary className="sources-summary">
          <span className="sources-title">Sources of truth</span> <span className="small muted">{sourcesSummary(reference, context)}</span>
        </summary>
        <div className="sources-scroll" tabIndex={0} role="region" aria-label="Sources of truth: text">
          {reference && (
            <details open className="source" data-source="reference">
              <summary className="source-title">Reference answer</summary>
              <Markdown text={reference} className="source-text" />
            </details>
          )}
          {context.map((doc, i) => (
            <details open className="source" data-source={`context-${i}`} key={i}>
              <summary className="source-title">{doc.title || `Document ${i + 1}`}</summary>
              <Markdown text={doc.text} className="source-text" />
            </details>
          ))}
        </div>
      </details>
    </section>
  );
}
