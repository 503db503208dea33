import { index, route, type RouteConfig } from "@remix-run/route-config";

// Explicit route config (the v3_routeConfig future flag): one place lists every URL.
export default [
  index("routes/home.tsx"),
  route("login", "routes/login.tsx"),
  route("logout", "routes/logout.tsx"),
  route("reset/:token", "routes/reset.$token.tsx"),
  route("review", "routes/review.tsx"),
  route("review/:batchId", "routes/review.$batchId.tsx"),
  route("review/:batchId/judge", "routes/review.$batchId.judge.ts"),
  route("review/:batchId/arena", "routes/review.$batchId.arena.ts"),
  route("review/:batchId/previous", "routes/review.$batchId.previous.ts"),
  route("review/:batchId/skipped", "routes/review.$batchId.skipped.ts"),
  route("admin", "routes/admin.tsx", [
    index("routes/admin.index.tsx"),
    route("datasets", "routes/admin.datasets.tsx"),
    route("datasets/:dataset/leaderboard", "routes/admin.datasets.$dataset.leaderboard.tsx"),
    route("datasets/:dataset/sample", "routes/admin.datasets.$dataset.sample.tsx"),
    route("models", "routes/admin.models.tsx"),
    route("audit", "routes/admin.audit.tsx"),
    route("users", "routes/admin.users.tsx"),
    route("batches", "routes/admin.batches.tsx"),
    route("batches/new", "routes/admin.batches.new.tsx"),
    route("batches/:id/export", "routes/admin.batches.$id.export.tsx"),
    route("batches/:id/stats", "routes/admin.batches.$id.stats.tsx"),
  ]),
  // Resource routes: raw-body upload and its progress, answered with JSON.
  route("admin/datasets/import", "routes/admin.datasets.import.ts"),
  route("admin/datasets/import/progress", "routes/admin.datasets.import.progress.ts"),
  route("admin/batches/:id/export/download", "routes/admin.batches.$id.export.download.ts"),
  route("admin/batches/:id/export/card", "routes/admin.batches.$id.export.card.ts"),
  route("admin/batches/:id/reviewers", "routes/admin.batches.$id.reviewers.ts"),
  // The HTTP API: bearer tokens, JSON in and out.
  route("api/v1/batches/:id/next", "routes/api.v1.batches.$id.next.ts"),
  route("api/v1/assignments/:id/judgment", "routes/api.v1.assignments.$id.judgment.ts"),
  route("api/v1/assignments/:id/skip", "routes/api.v1.assignments.$id.skip.ts"),
  route("api/v1/assignments/:id/take-back", "routes/api.v1.assignments.$id.take-back.ts"),
  route("api/v1/batches/:id/skipped", "routes/api.v1.batches.$id.skipped.ts"),
  route("api/v1/batches/:id/export", "routes/api.v1.batches.$id.export.ts"),
  route("api/v1/batches/:id/export/card", "routes/api.v1.batches.$id.export.card.ts"),
  route("api/v1/batches/:id/stats", "routes/api.v1.batches.$id.stats.ts"),
  route("api/v1/batches/:id/leaderboard", "routes/api.v1.batches.$id.leaderboard.ts"),
  route("api/v1/datasets/:dataset/leaderboard", "routes/api.v1.datasets.$dataset.leaderboard.ts"),
  // Any other URL: a JSON 404 under /api, the 404 page elsewhere.
  route("api/*", "routes/api.$.ts"),
  route("*", "routes/$.tsx"),
] satisfies RouteConfig;
