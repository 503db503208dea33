import { describe, expect, it } from "vitest";
import { safeRedirect } from "~/core/auth/redirect";

describe("safeRedirect", () => {
  it("keeps a path of this server, with its query and fragment", () => {
    expect(safeRedirect("/admin/batches?status=open#top", "/")).toBe("/admin/batches?status=open#top");
    expect(safeRedirect("/review/b1", "/")).toBe("/review/b1");
  });

  it("refuses other hosts however they are written", () => {
    for (const to of ["https://evil.example", "//evil.example", "/\\evil.example", "/\t/evil.example/", "/\t\\evil.example", "/\n/evil.example", "/\r\n//evil.example", "/x\\..\\..\\/evil", "javascript:alert(1)", "", null, undefined]) {
      expect(safeRedirect(to, "/home"), JSON.stringify(to)).toBe("/home");
    }
  });
});
