import { describe, expect, it } from "vitest";
import { crossSiteProblem } from "~/core/auth/cross-site";

const own = "http://verdict.local:3000";
const post = (facts: Partial<Parameters<typeof crossSiteProblem>[0]>) =>
  crossSiteProblem({ method: "POST", path: "/admin/users", origin: undefined, secFetchSite: undefined, ownOrigin: own, ...facts });

describe("crossSiteProblem", () => {
  it("lets a form post from this server's own pages through", () => {
    expect(post({ origin: own, secFetchSite: "same-origin" })).toBeNull();
    expect(post({ origin: "http://verdict.local:3000/" })).toBeNull();
  });

  it("refuses a post from another origin, naming both", () => {
    expect(post({ origin: "https://evil.example" })).toMatch(/from https:\/\/evil\.example is not accepted: this server is http:\/\/verdict\.local:3000/);
    // Another port is another origin.
    expect(post({ origin: "http://verdict.local:4000" })).not.toBeNull();
    expect(post({ origin: "null" })).toMatch(/opaque origin/);
    expect(post({ origin: "not a url" })).not.toBeNull();
  });

  it("refuses a cross-site post that sends no Origin, and lets one with neither header through", () => {
    expect(post({ secFetchSite: "cross-site" })).toMatch(/cross-site/);
    expect(post({ secFetchSite: "same-site" })).toBeNull();
    expect(post({})).toBeNull();
  });

  it("never stops reads, nor the bearer-token API", () => {
    expect(post({ method: "GET", origin: "https://evil.example" })).toBeNull();
    expect(post({ method: "head", origin: "https://evil.example" })).toBeNull();
    expect(post({ path: "/api/v1/assignments/x/judgment", origin: "https://evil.example" })).toBeNull();
    // A path that only starts with "api" is not the API.
    expect(post({ path: "/apiary", origin: "https://evil.example" })).not.toBeNull();
  });
});
