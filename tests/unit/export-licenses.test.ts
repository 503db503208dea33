import { describe, expect, it } from "vitest";
import { closeLicenses, DEFAULT_LICENSE, HUB_LICENSES, isHubLicense, licenseProblems } from "../../app/core/formats/export/licenses";

describe("HUB_LICENSES", () => {
  it("holds the Hub's identifiers once each, lowercase, with unknown and other", () => {
    expect(new Set(HUB_LICENSES).size).toBe(HUB_LICENSES.length);
    expect(HUB_LICENSES.every((id) => id === id.toLowerCase() && !/\s/.test(id))).toBe(true);
    for (const id of ["apache-2.0", "mit", "cc-by-4.0", "cc-by-nc-sa-4.0", "odc-by", "openrail++", "llama2", "unknown", "other"]) {
      expect(isHubLicense(id), id).toBe(true);
    }
    expect(isHubLicense("MIT")).toBe(false);
    expect(isHubLicense("Apache-2.0")).toBe(false);
    expect(DEFAULT_LICENSE).toBe("unknown");
  });
});

describe("closeLicenses", () => {
  it("suggests the listed ids a user most likely meant", () => {
    expect(closeLicenses("MIT")[0]).toBe("mit");
    expect(closeLicenses("apache2.0")[0]).toBe("apache-2.0");
    expect(closeLicenses("Apache-2.0")[0]).toBe("apache-2.0");
    expect(closeLicenses("cc-by-4")).toContain("cc-by-4.0");
    expect(closeLicenses("gpl3")).toContain("gpl-3.0");
    expect(closeLicenses("zzzzzzzzzzzzzzzzzzzz")).toEqual([]);
    expect(closeLicenses("cc-by").length).toBeLessThanOrEqual(3);
  });
});

describe("licenseProblems", () => {
  it("accepts a listed id alone, unknown, and no licence at all", () => {
    expect(licenseProblems({ license: "mit" })).toEqual({});
    expect(licenseProblems({ license: "unknown" })).toEqual({});
    expect(licenseProblems({})).toEqual({});
    expect(licenseProblems({ license: "", license_name: "", license_link: "" })).toEqual({});
  });

  it("refuses an unknown id and names close ones", () => {
    const problems = licenseProblems({ license: "MIT" });
    expect(Object.keys(problems)).toEqual(["license"]);
    expect(problems.license).toContain('"MIT" is not a Hugging Face licence identifier');
    expect(problems.license).toContain("did you mean mit");
    expect(licenseProblems({ license: "cc-by-4" }).license).toContain("cc-by-4.0");
  });

  it("needs license_name and license_link with other", () => {
    const problems = licenseProblems({ license: "other" });
    expect(Object.keys(problems).sort()).toEqual(["license_link", "license_name"]);
    expect(problems.license_name).toContain("required with license other");
    expect(problems.license_link).toContain("required with license other");
    expect(licenseProblems({ license: "other", license_name: "acme-data-1.0", license_link: "https://example.org/acme" })).toEqual({});
    expect(licenseProblems({ license: "other", license_name: "acme", license_link: "LICENSE.md" })).toEqual({});
    expect(licenseProblems({ license: "other", license_name: "acme", license_link: "licenses/acme.txt" })).toEqual({});
  });

  it("wants license_name as a lowercase slug, like the Hub's my-license-1.0", () => {
    for (const bad of ["Acme", "acme license", "acme_1", "-acme", "acme-", "acme..1", "ac/me"]) {
      expect(licenseProblems({ license: "other", license_name: bad, license_link: "LICENSE" }), bad).toHaveProperty("license_name");
    }
    for (const good of ["acme", "my-license-1.0", "a1.b2-c3"]) {
      expect(licenseProblems({ license: "other", license_name: good, license_link: "LICENSE" }), good).toEqual({});
    }
  });

  it("wants license_link as an http(s) URL or a relative path inside the repository", () => {
    const linkProblem = (link: string) => licenseProblems({ license: "other", license_name: "acme", license_link: link }).license_link;
    expect(linkProblem("http://example.org/l")).toBeUndefined();
    expect(linkProblem("ftp://example.org/l")).toContain("https://");
    expect(linkProblem("javascript:alert(1)")).toContain("https://");
    expect(linkProblem("https://")).toBe("not a valid URL");
    expect(linkProblem("/etc/LICENSE")).toContain("relative");
    expect(linkProblem("../LICENSE")).toContain("inside the repository");
    expect(linkProblem("my licence.txt")).toContain("spaces");
  });

  it("refuses license_name or license_link without other", () => {
    expect(licenseProblems({ license: "mit", license_name: "acme" })).toEqual({ license_name: "only used with license other (given license mit)" });
    expect(licenseProblems({ license_link: "LICENSE" })).toEqual({ license_link: "only used with license other (given no license)" });
  });
});
