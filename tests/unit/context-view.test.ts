import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { config, pairwise, progress, rating } from "../../app/components/judging/fixtures";
import { JudgingForm } from "../../app/components/judging/judging-form";
import { SourcesPanel, sourcesSummary } from "../../app/components/judging/sources-panel";
import { contextDocuments, referenceText, type AssignmentView } from "../../app/core/tasks/view";

// The sources of truth on the judging screen (issue 13): how the stored columns are read, and
// the panel as the server renders it.

describe("contextDocuments", () => {
  it("reads the stored JSON list of documents in order", () => {
    const stored = JSON.stringify([
      { title: "Handbook", text: "Rule 1." },
      { title: " FAQ ", text: "Q and A" },
    ]);
    expect(contextDocuments(stored)).toEqual([
      { title: "Handbook", text: "Rule 1." },
      { title: "FAQ", text: "Q and A" },
    ]);
  });

  it("is empty for null, bad JSON or anything but a list, and skips entries without text", () => {
    expect(contextDocuments(null)).toEqual([]);
    expect(contextDocuments(undefined)).toEqual([]);
    expect(contextDocuments("")).toEqual([]);
    expect(contextDocuments("{not json")).toEqual([]);
    expect(contextDocuments(JSON.stringify({ title: "x", text: "y" }))).toEqual([]);
    expect(contextDocuments(JSON.stringify([null, 3, "text", { title: "no text" }, { title: "blank", text: "  " }, { text: "untitled" }, { title: 7, text: "odd title" }]))).toEqual([
      { title: "", text: "untitled" },
      { title: "", text: "odd title" },
    ]);
  });
});

describe("referenceText", () => {
  it("is the stored text, or null when absent or blank", () => {
    expect(referenceText("Paris.")).toBe("Paris.");
    expect(referenceText(null)).toBeNull();
    expect(referenceText(undefined)).toBeNull();
    expect(referenceText(" \n")).toBeNull();
  });
});

const XSS_DOC = { title: "Notes <b>bold</b>", text: 'Look: <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> **done**' };

describe("SourcesPanel", () => {
  it("renders nothing without a reference or documents", () => {
    expect(renderToStaticMarkup(createElement(SourcesPanel, { reference: null, context: [] }))).toBe("");
    expect(renderToStaticMarkup(createElement(SourcesPanel, { reference: undefined, context: undefined }))).toBe("");
  });

  it("shows the reference answer and each document under its title, all open <details>", () => {
    const html = renderToStaticMarkup(createElement(SourcesPanel, { reference: "The answer is **42**.", context: [{ title: "Guide", text: "Chapter one" }, { title: "", text: "No title" }] }));
    expect(html).toMatch(/^<section class="sources" aria-label="Sources of truth"/);
    expect(html.match(/<details open=""/g)).toHaveLength(4);
    expect(html).toContain('<summary class="source-title">Reference answer</summary>');
    expect(html).toContain('<summary class="source-title">Guide</summary>');
    expect(html).toContain('<summary class="source-title">Document 2</summary>');
    expect(html).toContain("<strong>42</strong>");
    expect(html.indexOf("Reference answer")).toBeLessThan(html.indexOf("Guide"));
  });

  it("keeps untrusted text inert: raw HTML in texts and titles comes out escaped", () => {
    const html = renderToStaticMarkup(createElement(SourcesPanel, { reference: "<script>window.__xss=3</script>", context: [XSS_DOC] }));
    expect(html).not.toMatch(/<script|<img|<b>/);
    expect(html).toContain("&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;");
    expect(html).toContain("&lt;script&gt;window.__xss=2&lt;/script&gt;");
    expect(html).toContain("Notes &lt;b&gt;bold&lt;/b&gt;");
    expect(html).toContain("<strong>done</strong>");
  });

  it("says what it holds in its summary", () => {
    expect(sourcesSummary("x", [])).toBe("reference answer");
    expect(sourcesSummary(null, [XSS_DOC])).toBe("1 document");
    expect(sourcesSummary("x", [XSS_DOC, XSS_DOC])).toBe("reference answer · 2 documents");
  });
});

function render(assignment: AssignmentView): string {
  return renderToStaticMarkup(createElement(JudgingForm, { assignment, progress, onSubmit: () => {}, onSkip: () => {}, onBack: () => {}, canGoBack: true, submitting: false }));
}

describe("JudgingForm with sources and marking", () => {
  const prompt = { ...pairwise().prompt, reference: "Use +.", context: [{ title: "Python docs", text: "The + operator adds." }] };

  it("puts the panel beside the prompt, before the responses", () => {
    const html = render(pairwise({ prompt }));
    expect(html).toContain('class="judging-context with-sources"');
    const conversation = html.indexOf('aria-label="Prompt"');
    const sources = html.indexOf('aria-label="Sources of truth"');
    expect(conversation).toBeGreaterThan(0);
    expect(sources).toBeGreaterThan(conversation);
    expect(sources).toBeLessThan(html.indexOf("response-card"));
  });

  it("shows no panel for a prompt without sources", () => {
    const html = render(pairwise());
    expect(html).not.toContain("Sources of truth");
    expect(html).toContain('class="judging-context"');
    expect(render(pairwise({ prompt: { ...prompt, reference: null, context: [] } }))).not.toContain("Sources of truth");
  });

  it("with guidelines too, the context row has three columns", () => {
    const html = render(pairwise({ prompt, config: config({ guidelines: "Be fair." }) }));
    expect(html).toContain('class="judging-context with-guidelines with-sources"');
  });

  it("offers the mark button on each response only in batches with the option, disabled until words are selected", () => {
    expect(render(pairwise())).not.toContain("Mark selected words as unsupported");
    const html = render(rating({ config: config({ unsupportedClaims: true }) }));
    const buttons = html.match(/<button[^>]*aria-label="Mark selected words as unsupported \(Response [AB]\)"[^>]*>/g) ?? [];
    expect(buttons).toHaveLength(2);
    expect(buttons.every((b) => b.includes("disabled"))).toBe(true);
    expect(html).toContain("unsupported claim");
    // The response texts say where a selection counts.
    expect(html.match(/data-response-text="x[12]"/g)).toHaveLength(2);
  });
});
