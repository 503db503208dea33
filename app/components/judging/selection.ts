/**
 * The words a reviewer selected in a response's text, for marking them as unsupported (issue
 * 13). The response texts carry `data-response-text` (ResponseCard); a selection counts only
 * when it starts and ends inside the same one.
 */
export interface ResponseSelection {
  responseId: string;
  /** The selected text as the browser gives it (line breaks and all). */
  text: string;
}

function responseTextOf(node: Node | null): HTMLElement | null {
  if (!node) return null;
  const element = node.nodeType === 1 ? (node as Element) : node.parentElement;
  return element?.closest<HTMLElement>("[data-response-text]") ?? null;
}

/** The current selection when it lies inside one response's text and holds more than whitespace; null otherwise (and without a DOM). */
export function selectionInResponse(selection: Selection | null = typeof window === "undefined" ? null : window.getSelection()): ResponseSelection | null {
  if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
  const start = responseTextOf(selection.anchorNode);
  if (!start || start !== responseTextOf(selection.focusNode)) return null;
  const text = selection.toString();
  const responseId = start.dataset.responseText;
  if (!responseId || !text.trim()) return null;
  return { responseId, text };
}

/** Drops the selection once its words are marked, so the same key does not mark them twice. */
export function clearSelection(): void {
  if (typeof window !== "undefined") window.getSelection()?.removeAllRanges();
}
