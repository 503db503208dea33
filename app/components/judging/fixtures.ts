/** Sample assignments (one per task) for the unit tests and for trying the judging screen by hand; not used by the app. */
import { batchConfigSchema, type BatchConfig } from "~/core/tasks/config";
import type { AssignmentView, ReviewProgress } from "~/core/tasks/view";

export function config(overrides: Record<string, unknown> = {}): BatchConfig {
  return batchConfigSchema.parse(overrides);
}

const prompt = {
  id: "p1",
  external_id: "prompt-1",
  messages: [
    { role: "system" as const, content: "You are a careful assistant." },
    { role: "user" as const, content: "Write a function that adds two numbers." },
  ],
  reference: null,
  context: [],
};

export function pairwise(overrides: Partial<AssignmentView> = {}): AssignmentView {
  return {
    id: "as-pair",
    item_id: "it-1",
    batch_id: "b1",
    task: "pairwise",
    config: config(),
    prompt,
    responses: [
      { id: "r-a", external_id: "ra", text: "```python\ndef add(a, b):\n    return a + b\n```" },
      { id: "r-b", external_id: "rb", text: "Here: <script>alert('xss')</script> done." },
    ],
    lease_expires_at: 0,
    ...overrides,
  };
}

export function ranking(overrides: Partial<AssignmentView> = {}): AssignmentView {
  return {
    id: "as-rank",
    item_id: "it-2",
    batch_id: "b1",
    task: "ranking",
    config: config(),
    prompt,
    responses: ["one", "two", "three", "four"].map((t, i) => ({ id: `k${i}`, external_id: `k${i}`, text: `Answer ${t}` })),
    lease_expires_at: 0,
    ...overrides,
  };
}

export function rating(overrides: Partial<AssignmentView> = {}): AssignmentView {
  return {
    id: "as-rate",
    item_id: "it-3",
    batch_id: "b1",
    task: "rating",
    config: config({
      aspects: [
        { key: "overall", label: "Overall", min: 1, max: 5 },
        { key: "clarity", label: "Clarity", min: 1, max: 7 },
      ],
      flags: ["hallucination", "unsafe"],
      rationale: { required: true, minLength: 20 },
    }),
    prompt,
    responses: [
      { id: "x1", external_id: "x1", text: "First", model: "model-alpha" },
      { id: "x2", external_id: "x2", text: "Second", model: "model-beta" },
    ],
    lease_expires_at: 0,
    ...overrides,
  };
}

export const progress: ReviewProgress = { mine: 30, left: 170, skipped: 0, items: 400, judgments: 100, needed: 800 };
