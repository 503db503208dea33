import { describe, expect, it } from "vitest";
import { routeMatcher } from "~/core/http/route-match";

const routes = [
  { id: "next", path: "api/v1/batches/:id/next" },
  { id: "judgment", path: "api/v1/assignments/:id/judgment" },
  { id: "leaderboard", path: "api/v1/datasets/:dataset/leaderboard" },
  { id: "splat", path: "api/*" },
];
const match = routeMatcher(routes);

describe("routeMatcher", () => {
  it("finds the route and its parameters", () => {
    expect(match("/api/v1/batches/b1/next")).toEqual({ route: routes[0], params: { id: "b1" } });
    expect(match("/api/v1/assignments/a-9/judgment")?.route.id).toBe("judgment");
  });

  it("decodes parameters, and refuses what does not decode", () => {
    expect(match("/api/v1/datasets/my%20data/leaderboard")?.params).toEqual({ dataset: "my data" });
    expect(match("/api/v1/datasets/%E0%A4%A/leaderboard")).toBeNull();
  });

  it("leaves everything else to Remix: other paths, extra or empty segments, splat routes", () => {
    expect(match("/api/v1/batches/b1/next/more")).toBeNull();
    expect(match("/api/v1/batches//next")).toBeNull();
    expect(match("/api/v1/batches/b1/nope")).toBeNull();
    expect(match("/api/anything")).toBeNull();
    expect(match("/")).toBeNull();
  });
});
