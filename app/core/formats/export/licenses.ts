/**
 * Licence identifiers a Hugging Face card's `license:` accepts, and the checks for the custom
 * (`other`) case. Pure: the CLI, the import and the export share it.
 */

/**
 * The "License identifier" column of the Hub's list, in its order. Source: huggingface/hub-docs,
 * docs/hub/repositories-licenses.md (the region between `<!-- region licenses -->` and
 * `<!-- endregion -->`, commit 008d54d08fd9d5d05ed2840bebb0b61111326a15),
 * https://huggingface.co/docs/hub/repositories-licenses. `unknown` and `other` are the Hub's
 * own entries at the end of that list.
 */
export const HUB_LICENSES = [
  "apache-2.0",
  "mit",
  "openrail",
  "bigscience-openrail-m",
  "creativeml-openrail-m",
  "bigscience-bloom-rail-1.0",
  "bigcode-openrail-m",
  "afl-3.0",
  "artistic-2.0",
  "bsl-1.0",
  "bsd",
  "bsd-2-clause",
  "bsd-3-clause",
  "bsd-3-clause-clear",
  "c-uda",
  "cc",
  "cc0-1.0",
  "cc-by-2.0",
  "cc-by-2.5",
  "cc-by-3.0",
  "cc-by-4.0",
  "cc-by-sa-3.0",
  "cc-by-sa-4.0",
  "cc-by-nc-2.0",
  "cc-by-nc-3.0",
  "cc-by-nc-4.0",
  "cc-by-nd-4.0",
  "cc-by-nc-nd-3.0",
  "cc-by-nc-nd-4.0",
  "cc-by-nc-sa-2.0",
  "cc-by-nc-sa-3.0",
  "cc-by-nc-sa-4.0",
  "cdla-sharing-1.0",
  "cdla-permissive-1.0",
  "cdla-permissive-2.0",
  "wtfpl",
  "ecl-2.0",
  "epl-1.0",
  "epl-2.0",
  "etalab-2.0",
  "eupl-1.1",
  "agpl-3.0",
  "gfdl",
  "gpl",
  "gpl-2.0",
  "gpl-3.0",
  "lgpl",
  "lgpl-2.1",
  "lgpl-3.0",
  "isc",
  "lppl-1.3c",
  "ms-pl",
  "mpl-2.0",
  "odc-by",
  "odbl",
  "openrail++",
  "osl-3.0",
  "postgresql",
  "ofl-1.1",
  "ncsa",
  "unlicense",
  "zlib",
  "pddl",
  "lgpl-lr",
  "deepfloyd-if-license",
  "llama2",
  "gemma",
  "unknown",
  "other",
] as const;
export type HubLicense = (typeof HUB_LICENSES)[number];

/** The licence a card states when nobody said one: the Hub's own "Unknown" entry, never a silent `other`. */
export const DEFAULT_LICENSE: HubLicense = "unknown";

const KNOWN = new Set<string>(HUB_LICENSES);

export function isHubLicense(id: string): id is HubLicense {
  return KNOWN.has(id);
}

/**
 * `license_name` for `other`: the Hub's dataset card spec asks for "an id for it, like
 * `my-license-1.0`" (hub-docs datasetcard.md), so lowercase letters and digits in parts joined
 * by `-` or `.`.
 */
const LICENSE_NAME = /^[a-z0-9]+(?:[-.][a-z0-9]+)*$/;
const MAX_LICENSE_NAME = 100;
const MAX_LICENSE_LINK = 2000;

/**
 * `license_link` for `other`: the same spec says `"LICENSE"` or `"LICENSE.md"` for a file of
 * that name inside the repo, or a URL to a remote file. So an http(s) URL, or a relative path
 * that stays inside the repository (no leading `/`, no `..` part, no backslashes or spaces).
 */
function linkProblem(link: string): string | null {
  if (link.length > MAX_LICENSE_LINK) return `at most ${MAX_LICENSE_LINK} characters`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      return "not a valid URL";
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return "a URL must start with https:// or http://";
    return null;
  }
  if (link.startsWith("/")) return "a file path must be relative to the repository (e.g. LICENSE.md), not start with /";
  if (/[\s\\]/.test(link)) return "a file path cannot contain spaces or backslashes";
  if (link.split("/").some((part) => part === ".." || part === "")) return "a file path must stay inside the repository (no .. or empty parts)";
  return null;
}

/** Edit distance, for suggesting the identifiers closest to a mistyped one. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Up to three listed identifiers close to `id`: lowercase matches first (`MIT` → `mit`), then
 * those containing it (`cc-by` → `cc-by-4.0`, …), then the nearest by edit distance.
 */
export function closeLicenses(id: string, limit = 3): string[] {
  const wanted = id.trim().toLowerCase();
  if (!wanted) return [];
  // Punctuation is the usual slip (`apache2.0`, `gpl3`): compare without it too.
  const bare = (s: string) => s.replace(/[-.]/g, "");
  const scored = HUB_LICENSES.map((known) => {
    const score = known === wanted ? -2 : known.includes(wanted) ? -1 : Math.min(distance(wanted, known), distance(bare(wanted), bare(known)));
    return { known, score };
  });
  const cutoff = Math.max(2, Math.floor(wanted.length / 3));
  return scored
    .filter((s) => s.score <= cutoff)
    .sort((a, b) => a.score - b.score || a.known.length - b.known.length)
    .slice(0, limit)
    .map((s) => s.known);
}

export interface LicenseChoice {
  license?: string | null;
  license_name?: string | null;
  license_link?: string | null;
}

/**
 * The problems of a licence choice, by field (empty when it is fine): an identifier the Hub does
 * not list (with the closest ones as a hint), `other` without a `license_name` slug and a
 * `license_link`, or a name/link given without `other` (the Hub reads them only for `other`).
 * An absent or empty `license` is fine here: the caller picks the default.
 */
export function licenseProblems(choice: LicenseChoice): Record<string, string> {
  const problems: Record<string, string> = {};
  const license = choice.license ?? "";
  const name = choice.license_name ?? "";
  const link = choice.license_link ?? "";
  if (license !== "" && !isHubLicense(license)) {
    const close = closeLicenses(license);
    problems.license = `"${license}" is not a Hugging Face licence identifier${close.length ? `; did you mean ${close.join(", ")}?` : ""} (the list: https://huggingface.co/docs/hub/repositories-licenses; use other with a name and link for any other licence)`;
  }
  if (license === "other") {
    if (name === "") problems.license_name = "required with license other: a lowercase id for the licence, like my-license-1.0";
    else if (name.length > MAX_LICENSE_NAME || !LICENSE_NAME.test(name)) {
      problems.license_name = `"${name}" is not a licence id: lowercase letters and digits joined by - or ., like my-license-1.0`;
    }
    if (link === "") problems.license_link = "required with license other: the licence's URL, or its file in the repository such as LICENSE.md";
    else {
      const problem = linkProblem(link);
      if (problem) problems.license_link = problem;
    }
  } else {
    const given = license === "" ? "no license" : `license ${license}`;
    if (name !== "") problems.license_name = `only used with license other (given ${given})`;
    if (link !== "") problems.license_link = `only used with license other (given ${given})`;
  }
  return problems;
}
