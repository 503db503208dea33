import { describe, expect, it } from "vitest";
import { rebuildReason } from "../../scripts/build-stamp.js";

const built = { "app/root.tsx": "aa", "app/routes.ts": "bb", "package-lock.json": "cc" };

describe("whether npm start rebuilds", () => {
  it("does not when every source is what the last successful build was made from", () => {
    expect(rebuildReason({ files: { ...built } }, { ...built }, true)).toBeNull();
  });

  it("does when a source's contents changed, naming the file", () => {
    expect(rebuildReason({ files: built }, { ...built, "app/routes.ts": "b2" }, true)).toBe("app/routes.ts changed");
  });

  it("does when a source was added or removed", () => {
    expect(rebuildReason({ files: built }, { ...built, "app/routes/$.tsx": "dd" }, true)).toBe("app/routes/$.tsx added");
    const { "app/routes.ts": _removed, ...rest } = built;
    expect(rebuildReason({ files: built }, rest, true)).toBe("app/routes.ts removed");
  });

  it("names the first change and counts the others", () => {
    expect(rebuildReason({ files: built }, { "app/root.tsx": "a2", "app/routes.ts": "b2", "package-lock.json": "c2" }, true)).toBe(
      "app/root.tsx changed and 2 more",
    );
  });

  it("does when there is no stamp (never built, or the last build failed)", () => {
    expect(rebuildReason(null, built, true)).toBe("no record of what the last build was made from");
  });

  it("does when the build's output is gone, even with a matching stamp", () => {
    expect(rebuildReason({ files: built }, built, false)).toBe("no build yet");
  });
});
