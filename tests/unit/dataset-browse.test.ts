import { describe, expect, it } from "vitest";
import { DEFAULT_PAGE_SIZE, metadataPath, pageSize, searchQuery } from "~/core/datasets/browse";

describe("searchQuery", () => {
  it("quotes every word as a prefix, so FTS5 syntax is searched as text", () => {
    expect(searchQuery("  summary of rivers ")).toBe('"summary"* "of"* "rivers"*');
    expect(searchQuery('a" OR b NEAR(c) col:d*')).toBe('"a"* "OR"* "b"* "NEAR"* "c"* "col"* "d"*');
    expect(searchQuery("café 東京 x2")).toBe('"café"* "東京"* "x2"*');
  });
  it("is null when nothing is a word", () => {
    expect(searchQuery("")).toBeNull();
    expect(searchQuery(" !?* \"' ")).toBeNull();
  });
});

describe("metadataPath", () => {
  it("quotes each step of a field name", () => {
    expect(metadataPath("topic")).toBe('$."topic"');
    expect(metadataPath("source.split")).toBe('$."source"."split"');
    expect(metadataPath("x-y_z")).toBe('$."x-y_z"');
  });
  it("refuses names that could leave the quotes or are empty", () => {
    for (const bad of ["", "a'b", 'a"b', "a..b", ".a", "a.", "a b", "$.a", "a[0]"]) expect(metadataPath(bad)).toBeNull();
  });
});

describe("pageSize", () => {
  it("defaults, accepts 1 to 100 and refuses anything else", () => {
    expect(pageSize(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize("")).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize("1")).toBe(1);
    expect(pageSize(100)).toBe(100);
    for (const bad of ["0", "101", "2.5", "ten", -3]) expect(pageSize(bad)).toBeNull();
  });
});
