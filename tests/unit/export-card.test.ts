import { describe, expect, it } from "vitest";
import { datasetCard, sizeCategory, type CardInput } from "../../app/core/formats/export/card";

const base: CardInput = {
  title: "Helpfulness round 1 (trl-preference)",
  dataFile: "helpfulness-round-1.trl-preference.jsonl",
  format: "trl-preference",
  rows: 999,
  sha256: "ab".repeat(32),
  createdAt: new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 10)),
  options: { format: "trl-preference", consensus: "majority", min_agreement: 0.5, ties: "drop", exclude_flags: ["unsafe"], include_gold: false },
  batch: { id: "batch-1", name: "Helpfulness round 1", task: "pairwise", overlap: 3, dataset: "demo", items: 400, judgments: 1200, reviewers: 3 },
};

const card = (overrides: Partial<CardInput> = {}) => datasetCard({ ...base, ...overrides });

/** The YAML header's lines: between the first line `---` and the next `---` line. */
function headerLines(text: string): string[] {
  const lines = text.split("\n");
  expect(lines[0]).toBe("---");
  const end = lines.indexOf("---", 1);
  expect(end).toBeGreaterThan(0);
  return lines.slice(1, end);
}

/** A scalar as YAML would read it: a double-quoted string is JSON-compatible; a plain one is itself. */
function scalar(raw: string): string {
  return raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
}

/**
 * A tiny line-based reader for the header's shape: `key: value`, or `key:` followed by
 * `- item` lines. Nested blocks (configs) are kept as raw lines.
 */
function parseHeader(lines: string[]): { scalars: Record<string, string>; lists: Record<string, string[]>; blocks: Record<string, string[]> } {
  const scalars: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  const blocks: Record<string, string[]> = {};
  let current: string | null = null;
  for (const line of lines) {
    const top = /^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/.exec(line);
    if (top) {
      current = top[1]!;
      if (top[2] !== undefined) {
        scalars[current] = scalar(top[2]);
        current = null;
      } else {
        lists[current] = [];
        blocks[current] = [];
      }
      continue;
    }
    if (current === null) throw new Error(`unexpected header line: ${JSON.stringify(line)}`);
    blocks[current]!.push(line);
    const item = /^- (.*)$/.exec(line);
    if (item && !item[1]!.includes(": ")) lists[current]!.push(scalar(item[1]!));
  }
  return { scalars, lists, blocks };
}

/**
 * Plain YAML scalars this card may leave unquoted: no indicator or comment characters, no
 * leading `>`/`<`/`-` trouble, and nothing YAML 1.1 (PyYAML, which the Hub uses) or 1.2 would
 * read as a boolean, null or number.
 */
function isSafePlain(raw: string): boolean {
  if (!/^[A-Za-z0-9_./<>-]+$/.test(raw)) return false;
  if (/^[<>]/.test(raw) || raw.startsWith("-")) return false;
  if (/^(true|false|yes|no|on|off|null|y|n|~)$/i.test(raw)) return false;
  if (/^[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return false;
  if (/^0[xob]/i.test(raw)) return false;
  return true;
}

describe("sizeCategory", () => {
  it("uses Hugging Face's buckets at their boundaries", () => {
    expect(sizeCategory(0)).toBe("n<1K");
    expect(sizeCategory(999)).toBe("n<1K");
    expect(sizeCategory(1000)).toBe("1K<n<10K");
    expect(sizeCategory(9999)).toBe("1K<n<10K");
    expect(sizeCategory(10_000)).toBe("10K<n<100K");
    expect(sizeCategory(99_999)).toBe("10K<n<100K");
    expect(sizeCategory(100_000)).toBe("100K<n<1M");
    expect(sizeCategory(999_999)).toBe("100K<n<1M");
    expect(sizeCategory(1_000_000)).toBe("1M<n<10M");
    expect(sizeCategory(2_500_000)).toBe("1M<n<10M");
    expect(sizeCategory(10_000_000)).toBe("10M<n<100M");
    expect(sizeCategory(100_000_000)).toBe("100M<n<1B");
    expect(sizeCategory(999_999_999)).toBe("100M<n<1B");
  });

  it("has the billion-row buckets before n>1T", () => {
    // Hugging Face's size_categories: … 100M<n<1B, 1B<n<10B, 10B<n<100B, 100B<n<1T, n>1T.
    expect(sizeCategory(1e9)).toBe("1B<n<10B");
    expect(sizeCategory(5e10)).toBe("10B<n<100B");
    expect(sizeCategory(5e11)).toBe("100B<n<1T");
    expect(sizeCategory(1e12)).toBe("n>1T");
  });
});

describe("datasetCard: YAML header", () => {
  it("starts the file with the header and has exactly these lines", () => {
    const text = card();
    expect(text.startsWith("---\n")).toBe(true);
    expect(headerLines(text)).toEqual([
      "license: unknown",
      "task_categories:",
      "- text-generation",
      "tags:",
      "- rlhf",
      "- preference",
      "- human-feedback",
      "- trl-preference",
      "size_categories:",
      // `n<1K` is a valid plain scalar; quoting it is allowed too.
      expect.stringMatching(/^- (n<1K|"n<1K")$/),
      "configs:",
      "- config_name: default",
      "  data_files:",
      "  - split: train",
      "    path: helpfulness-round-1.trl-preference.jsonl",
    ]);
  });

  it("parses to the expected keys and values", () => {
    const { scalars, lists, blocks } = parseHeader(headerLines(card()));
    expect(Object.keys(scalars)).toEqual(["license"]);
    expect(Object.keys(lists).sort()).toEqual(["configs", "size_categories", "tags", "task_categories"]);
    expect(scalars.license).toBe("unknown");
    expect(lists.task_categories).toEqual(["text-generation"]);
    expect(lists.size_categories).toEqual(["n<1K"]);
    expect(lists.tags).toEqual(["rlhf", "preference", "human-feedback", "trl-preference"]);
    expect(blocks.configs).toEqual(["- config_name: default", "  data_files:", "  - split: train", "    path: helpfulness-round-1.trl-preference.jsonl"]);
  });

  it("picks the size category from the row count", () => {
    const sizeOf = (rows: number) => parseHeader(headerLines(card({ rows }))).lists.size_categories;
    expect(sizeOf(999)).toEqual(["n<1K"]);
    expect(sizeOf(1000)).toEqual(["1K<n<10K"]);
    expect(sizeOf(2_500_000)).toEqual(["1M<n<10M"]);
  });

  it("uses the license given, the format as a tag, and the data file as the train split", () => {
    const { scalars, lists, blocks } = parseHeader(headerLines(card({ license: "cc-by-4.0", format: "openai-dpo", dataFile: "data/train.openai-dpo.jsonl" })));
    expect(scalars.license).toBe("cc-by-4.0");
    expect(lists.tags).toContain("openai-dpo");
    expect(blocks.configs!.at(-1)).toBe("    path: data/train.openai-dpo.jsonl");
  });

  it("quotes values with spaces, colons, hashes, quotes or newlines, and they read back exactly", () => {
    const dataFile = 'my exports/a: "b" #1\n.jsonl';
    const license = "see LICENSE: custom";
    const lines = headerLines(card({ dataFile, license }));
    const pathLine = lines.find((l) => l.startsWith("    path: "))!;
    const rawPath = pathLine.slice("    path: ".length);
    expect(rawPath.startsWith('"')).toBe(true);
    expect(scalar(rawPath)).toBe(dataFile);
    const { scalars } = parseHeader(lines);
    expect(lines[0]!.startsWith('license: "')).toBe(true);
    expect(scalars.license).toBe(license);
    // A newline inside the value must not break the header into more lines.
    expect(lines).toHaveLength(15);
  });

  it("writes every size category so that it reads back as the same string", () => {
    const cases: Array<[number, string]> = [
      [0, "n<1K"],
      [5000, "1K<n<10K"],
      [50_000, "10K<n<100K"],
      [500_000, "100K<n<1M"],
      [5_000_000, "1M<n<10M"],
      [50_000_000, "10M<n<100M"],
      [500_000_000, "100M<n<1B"],
    ];
    for (const [rows, expected] of cases) {
      const lines = headerLines(card({ rows }));
      const at = lines.indexOf("size_categories:");
      const raw = lines[at + 1]!.slice(2);
      expect(raw.startsWith('"') || isSafePlain(raw), raw).toBe(true);
      expect(scalar(raw)).toBe(expected);
    }
  });

  it("leaves plain identifiers unquoted", () => {
    const lines = headerLines(card({ license: "apache-2.0", dataFile: "x_y-z.v2/file.jsonl" }));
    expect(lines).toContain("license: apache-2.0");
    expect(lines).toContain("    path: x_y-z.v2/file.jsonl");
  });

  it("quotes values YAML would read as a boolean, null or number", () => {
    for (const value of ["true", "null", "123", "1.5", "yes", ">rows"]) {
      const lines = headerLines(card({ license: value, dataFile: value }));
      const rawLicense = lines[0]!.slice("license: ".length);
      const rawPath = lines.find((l) => l.startsWith("    path: "))!.slice("    path: ".length);
      for (const raw of [rawLicense, rawPath]) {
        expect(raw.startsWith('"') || isSafePlain(raw), `${raw} must be quoted`).toBe(true);
        expect(scalar(raw)).toBe(value);
      }
    }
  });

  it("every plain scalar in the header is a safe plain string", () => {
    for (const line of headerLines(card())) {
      const m = /^(?:\s*-\s+|\s*)(?:[a-z_]+:\s)?(.+)$/.exec(line);
      const raw = m?.[1];
      if (!raw || raw.endsWith(":") || raw.startsWith('"')) continue;
      const value = raw.includes(": ") ? raw.slice(raw.indexOf(": ") + 2) : raw;
      expect(isSafePlain(value), line).toBe(true);
    }
  });
});

describe("datasetCard: licence", () => {
  it("says unknown when no licence is given, never other", () => {
    const { scalars } = parseHeader(headerLines(card()));
    expect(scalars.license).toBe("unknown");
    expect(scalars).not.toHaveProperty("license_name");
    expect(scalars).not.toHaveProperty("license_link");
  });

  it("writes a listed licence alone, without license_name or license_link", () => {
    const lines = headerLines(card({ license: "mit", licenseName: "ignored", licenseLink: "IGNORED.md" }));
    expect(lines[0]).toBe("license: mit");
    const { scalars } = parseHeader(lines);
    expect(Object.keys(scalars)).toEqual(["license"]);
  });

  it("writes license_name and license_link after license: other, the URL quoted so it reads back", () => {
    const link = "https://example.org/licenses/acme-data-1.0.html";
    const lines = headerLines(card({ license: "other", licenseName: "acme-data-1.0", licenseLink: link }));
    expect(lines.slice(0, 3)).toEqual(["license: other", "license_name: acme-data-1.0", `license_link: ${JSON.stringify(link)}`]);
    const { scalars } = parseHeader(lines);
    expect(scalars).toEqual({ license: "other", license_name: "acme-data-1.0", license_link: link });
    // A relative file in the repository stays a plain scalar.
    expect(headerLines(card({ license: "other", licenseName: "acme", licenseLink: "LICENSE.md" }))[2]).toBe("license_link: LICENSE.md");
  });
});

describe("datasetCard: body", () => {
  it("titles the card and describes the batch after the header", () => {
    const text = card();
    const lines = text.split("\n");
    const end = lines.indexOf("---", 1);
    expect(lines[end + 1]).toBe("");
    expect(lines[end + 2]).toBe("# Helpfulness round 1 (trl-preference)");
    expect(text).toContain("| task | pairwise |");
    expect(text).toContain("| items | 400 |");
    expect(text).toContain("| judgments | 1200 |");
    expect(text).toContain("| reviewers | 3 (pseudonymized) |");
    expect(text).toContain("| overlap | 3 |");
    expect(text).toContain("| rows | 999 |");
    expect(text).toContain("| file | `helpfulness-round-1.trl-preference.jsonl` |");
    expect(text).toContain(`| sha256 | \`${"ab".repeat(32)}\` |`);
    expect(text).toContain("| exported | 2024-05-06T07:08:09.010Z |");
    expect(text.endsWith("\n")).toBe(true);
  });

  it("lists the export options as JSON values", () => {
    const text = card();
    expect(text).toContain("| `consensus` | `\"majority\"` |");
    expect(text).toContain("| `min_agreement` | `0.5` |");
    expect(text).toContain("| `exclude_flags` | `[\"unsafe\"]` |");
    expect(text).toContain("| `include_gold` | `false` |");
  });

  it("adds an agreement table only when figures are given; null reads undefined", () => {
    expect(card()).not.toContain("## Agreement");
    const text = card({ agreement: { "Krippendorff alpha (ordinal)": 0.81549, "Fleiss kappa": null } });
    expect(text).toContain("## Agreement");
    expect(text).toContain("| Krippendorff alpha (ordinal) | 0.815 |");
    expect(text).toContain("| Fleiss kappa | undefined |");
  });

  it("a `---` line in the title does not end the header early", () => {
    const lines = headerLines(card({ title: "---" }));
    expect(lines).toHaveLength(15);
  });
});
