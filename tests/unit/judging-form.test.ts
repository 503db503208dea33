import { describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { JudgingForm, type JudgingFormProps } from "../../app/components/judging/judging-form";
import { KeyLegend, keyEntries } from "../../app/components/judging/key-legend";
import type { AssignmentView } from "../../app/core/tasks/view";
import { config, pairwise, progress, ranking, rating } from "../../app/components/judging/fixtures";

function render(assignment: AssignmentView, extra: Partial<JudgingFormProps> = {}): string {
  return renderToStaticMarkup(
    createElement(JudgingForm, {
      assignment,
      progress,
      onSubmit: () => {},
      onSkip: () => {},
      onBack: () => {},
      canGoBack: true,
      submitting: false,
      ...extra,
    }),
  );
}

/** The text content of the markup, tags removed and entities for quotes decoded. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

describe("JudgingForm: pairwise", () => {
  const html = render(pairwise());

  it("shows all seven scale points in order in one radio group", () => {
    const labels = ["A much better", "A better", "A slightly better", "Tie", "B slightly better", "B better", "B much better"];
    const positions = labels.map((l) => html.indexOf(`<span class="scale-label">${l}</span>`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    expect(html).toContain('role="radiogroup" aria-label="Which response is better?"');
    expect(html.match(/type="radio"/g)).toHaveLength(7);
    expect(html).toContain('aria-keyshortcuts="1"');
    expect(html).toContain('aria-keyshortcuts="7"');
  });

  it("shows only three points on a 3-point scale", () => {
    const three = render(pairwise({ config: config({ scale: "3-point" }) }));
    expect(three.match(/class="scale-label"/g)).toHaveLength(3);
    expect(three).toContain(">A better<");
    expect(three).toContain(">Tie<");
    expect(three).toContain(">B better<");
    expect(three).not.toContain("much better");
  });

  it("labels responses A and B, with Both bad, the diff toggle and every flag per response", () => {
    expect(html).toContain(">Response A</h3>");
    expect(html).toContain(">Response B</h3>");
    expect(text(html)).toContain("Both bad");
    expect(text(html)).toContain("Word diff");
    for (const flag of ["hallucination", "unsafe", "refusal", "incomplete", "off topic", "pii"]) {
      expect(html).toContain(`aria-label="${flag} (Response A)"`);
      expect(html).toContain(`aria-label="${flag} (Response B)"`);
    }
  });

  it("escapes response text and highlights code", () => {
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;script&gt;alert('xss')&lt;/script&gt;");
    expect(html).toContain('class="hljs language-python"');
  });

  it("shows the prompt with role labels and a distinct system turn", () => {
    expect(html).toContain('class="turn turn-system"');
    expect(text(html)).toContain("System");
    expect(text(html)).toContain("You are a careful assistant.");
    expect(text(html)).toContain("Write a function that adds two numbers.");
  });

  it("shows progress, actions, rationale rule and the way to the key legend", () => {
    expect(text(html)).toContain("31 of 200 in this batch");
    expect(text(html)).toContain("Submit & next");
    expect(text(html)).toContain("Skip");
    expect(text(html)).toContain("Back");
    expect(text(html)).toContain("Rationale (optional)");
    expect(html).toMatch(/<button[^>]*aria-expanded="false"[^>]*aria-keyshortcuts="\?"[^>]*>Keyboard shortcuts \(\?\)<\/button>/);
  });

  it("says which of the reviewer's judgments is being edited", () => {
    const judgment = { payload: { task: "pairwise" as const, preferred: "r-b", strength: 2 as const, bothBad: false }, flags: [], rationale: "" };
    const edited = render(pairwise({ judgment }), { editing: { position: 3, of: 12 }, onCancelEditing: () => {} });
    expect(text(edited)).toContain("Editing your judgment 3 of 12");
    expect(text(edited)).toContain("Cancel and return to item 31");
    expect(text(edited)).not.toContain("31 of 200 in this batch");
  });

  it("says a missing choice once, next to the scale", () => {
    const failed = render(pairwise(), { fieldErrors: { preferred: "Choose which response is better, or Tie." } });
    expect(failed.split("Choose which response is better, or Tie.")).toHaveLength(2);
    // Inside the scale's controls, before the choice bar's own Submit button.
    const controls = failed.slice(failed.indexOf('class="pair-controls"'), failed.indexOf("bar-submit"));
    expect(controls).toContain("Choose which response is better, or Tie.");
    expect(failed).not.toContain('class="missing-list"');
  });

  it("hides model names when responses carry none", () => {
    expect(html).not.toContain("response-model");
  });

  it("renders guidelines as markdown only when there are some, open unless the reviewer collapsed them", () => {
    expect(html).not.toContain("uidelines");
    const guided = pairwise({ config: config({ guidelines: "Prefer **correct** code. <img src=x onerror=alert(1)>" }) });
    const open = render(guided, { guidelinesOpen: true });
    expect(open).toMatch(/<section class="guidelines"[^>]*aria-label="Guidelines"/);
    expect(open).toContain("<strong>correct</strong>");
    expect(open).not.toMatch(/<img[^>]*onerror/);
    expect(text(open)).toContain("Hide guidelines");
    const collapsed = render(guided, { guidelinesOpen: false });
    expect(collapsed).not.toContain("<strong>correct</strong>");
    expect(collapsed).toMatch(/<button[^>]*aria-expanded="false"[^>]*>Show guidelines<\/button>/);
  });

  it("pre-fills a stored judgment when editing", () => {
    const edited = render(
      pairwise({
        judgment: { payload: { task: "pairwise", preferred: "r-b", strength: 2, bothBad: true }, flags: [{ responseId: "r-a", flag: "unsafe", note: "rm -rf" }], rationale: "B is safer" },
      }),
    );
    expect(edited.match(/<input type="radio"[^>]*>/g)!.filter((tag) => tag.includes('checked=""'))).toEqual([
      expect.stringContaining('value="5"'), // "B better": B preferred with strength 2
    ]);
    expect(edited).toMatch(/<input type="checkbox" aria-keyshortcuts="0" checked=""/);
    expect(edited).toMatch(/<input type="checkbox" aria-label="unsafe \(Response A\)"[^>]*checked=""/);
    expect(edited).toContain('value="rm -rf"');
    expect(edited).toContain(">B is safer</textarea>");
    expect(text(edited)).toContain("Editing your earlier judgment");
    expect(text(edited)).not.toContain("in this batch");
  });

  it("shows the caller's errors", () => {
    const failed = render(pairwise(), { error: "The lease expired.", fieldErrors: { preferred: "required", "flags.0.flag": "not a flag" }, submitting: true });
    expect(text(failed)).toContain("The lease expired.");
    expect(text(failed)).toContain("required");
    expect(text(failed)).toContain("Flag 1: not a flag");
    expect(text(failed)).toContain("Saving…");
  });
});

describe("JudgingForm: ranking", () => {
  const html = render(ranking());

  it("offers tiers 1..K for every response and a tier board", () => {
    for (const letter of ["A", "B", "C", "D"]) {
      expect(html).toContain(`aria-label="Tier for Response ${letter}"`);
      expect(html).toContain(`aria-label="Tier 1 (best) for Response ${letter}"`);
      for (let tier = 2; tier <= 4; tier++) expect(html).toContain(`aria-label="Tier ${tier} for Response ${letter}"`);
    }
    expect(html).not.toContain("Tier 5");
    expect(html).toContain('aria-label="Tiers"');
    expect(html).toContain('<ul class="tier-chips" aria-label="Not placed">');
    expect(html).toContain('draggable="true"');
  });

  it("places stored tiers on the board when editing", () => {
    const edited = render(ranking({ judgment: { payload: { task: "ranking", tiers: [["k2"], ["k0", "k1"], ["k3"]] }, flags: [], rationale: "" } }));
    const tier2 = edited.slice(edited.indexOf('aria-label="Tier 2">'), edited.indexOf('aria-label="Tier 3">'));
    expect(text(tier2)).toContain("A B");
    expect(edited).toMatch(/<ul class="tier-chips" aria-label="Not placed"><\/ul>/);
  });

  it("hides model names when responses carry none", () => {
    expect(html).not.toContain("response-model");
  });
});

describe("JudgingForm: rating", () => {
  const html = render(rating());

  it("shows each aspect as a radio group of its range for each response", () => {
    for (const letter of ["A", "B"]) {
      expect(html).toContain(`aria-label="Overall for Response ${letter}, 1 to 5"`);
      expect(html).toContain(`aria-label="Clarity for Response ${letter}, 1 to 7"`);
      expect(html).toContain(`aria-label="Overall 5 for Response ${letter}"`);
      expect(html).not.toContain(`aria-label="Overall 6 for Response ${letter}"`);
      expect(html).toContain(`aria-label="Clarity 7 for Response ${letter}"`);
    }
    expect(html.match(/type="radio"/g)).toHaveLength(2 * (5 + 7));
  });

  it("shows the batch's flags and the rationale rule", () => {
    expect(html).toContain('aria-label="hallucination (Response A)"');
    expect(html).toContain('aria-label="unsafe (Response B)"');
    expect(html).not.toContain("refusal");
    expect(text(html)).toContain("required, at least 20 characters");
    expect(html).toContain('aria-required="true"');
  });

  it("shows model names when the batch shows them", () => {
    expect(html).toContain('<span class="response-model small muted">model-alpha</span>');
    expect(html).toContain("model-beta");
  });
});

describe("KeyLegend", () => {
  const legend = (task: "pairwise" | "ranking" | "rating", open = true) =>
    renderToStaticMarkup(createElement(KeyLegend, { task, scale: "7-point", flags: ["unsafe"], tiers: 4, scoreRange: { min: 1, max: 5 }, open, onToggle: () => {} }));

  it("lists the task's keys under a heading while open, and nothing while closed", () => {
    expect(legend("pairwise")).toContain('aria-label="Keyboard shortcuts"');
    expect(legend("pairwise")).toMatch(/<h2[^>]*>Keyboard shortcuts<\/h2>/);
    expect(text(legend("pairwise"))).toContain("toggle Both bad");
    expect(legend("pairwise", false)).toBe("");
  });

  it("says that placing a ranked response moves focus on", () => {
    const place = keyEntries({ task: "ranking", scale: "7-point", flags: [], tiers: 4 }).find(([keys]) => keys[0] === "1–4");
    expect(place?.[1]).toBe("put the focused response in that tier (1 = best); focus moves on to the next response not yet placed");
  });
});
