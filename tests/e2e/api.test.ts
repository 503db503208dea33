import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, cliFor, startServer, type RunningServer } from "./harness";

let tokens: Record<string, string> = {};

let server: RunningServer;
let pairwiseBatch = "";
let rankingBatch = "";

const cli = (args: string[]) => cliFor(server, args);
let api: ReturnType<typeof apiClient>["api"];

beforeAll(async () => {
  server = await startServer();
  ({ api, tokens } = apiClient(server, ["reviewer1", "reviewer2", "admin"]));
  pairwiseBatch = batchIdFor(server, "Demo: pairwise");
  rankingBatch = batchIdFor(server, "Demo: ranking");
});
afterAll(async () => {
  await server?.stop();
});

interface NextBody {
  assignment: { id: string; item_id: string; task: string; config: { scale: string }; prompt: { id: string; external_id: string; messages: unknown[] }; responses: Array<{ id: string; external_id: string; text: string; model?: string }> };
}

describe("the HTTP API", () => {
  it("refuses requests without a valid bearer token", async () => {
    const anonymous = await api(`/batches/${pairwiseBatch}/next`, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="verdict"');
    expect(await anonymous.json()).toEqual({ error: { code: "unauthorized", message: "send Authorization: Bearer <token>" } });
    const forged = await fetch(`${server.url}/api/v1/batches/${pairwiseBatch}/next`, { headers: { Authorization: "Bearer vrd_forged" } });
    expect(forged.status).toBe(401);
  });

  it("leases the next item in display order, without model names, and stores a judgment (201, then 200 on a repeat)", async () => {
    const next = await api(`/batches/${pairwiseBatch}/next`, "reviewer1");
    expect(next.status).toBe(200);
    const { assignment } = (await next.json()) as NextBody;
    expect(assignment.task).toBe("pairwise");
    expect(assignment.responses).toHaveLength(2);
    expect(assignment.responses.every((r) => r.model === undefined)).toBe(true);
    expect(Object.keys(assignment.prompt).sort()).toEqual(["context", "external_id", "id", "messages", "reference"]);
    expect(assignment.prompt).toMatchObject({ reference: null, context: [] });

    const body = { client_id: "api-test-1", preferred: assignment.responses[1]!.id, strength: 2, flags: [{ response_id: assignment.responses[0]!.id, flag: "incomplete" }], rationale: "B answers fully", duration_ms: 4200 };
    const created = await api(`/assignments/${assignment.id}/judgment`, "reviewer1", { method: "POST", body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    const { judgment } = (await created.json()) as { judgment: { id: string; payload: unknown; flags: unknown } };
    expect(judgment.payload).toEqual({ task: "pairwise", preferred: assignment.responses[1]!.id, strength: 2, bothBad: false });
    const repeat = await api(`/assignments/${assignment.id}/judgment`, "reviewer1", { method: "POST", body: JSON.stringify(body) });
    expect(repeat.status).toBe(200);
    expect(((await repeat.json()) as { judgment: { id: string } }).judgment.id).toBe(judgment.id);
  });

  it("answers bad judgments with 400 and field messages, others' assignments with 404, and non-reviewers with 403", async () => {
    const { assignment } = (await (await api(`/batches/${pairwiseBatch}/next`, "reviewer1")).json()) as NextBody;
    const bad = await api(`/assignments/${assignment.id}/judgment`, "reviewer1", { method: "POST", body: JSON.stringify({ client_id: "api-bad", preferred: "nope" }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        code: "invalid",
        message: "preferred: not a response of this item: nope; strength: required: 1, 2 or 3",
        details: { fields: { preferred: "not a response of this item: nope", strength: "required: 1, 2 or 3" } },
      },
    });
    const notJson = await api(`/assignments/${assignment.id}/judgment`, "reviewer1", { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    const someoneElse = await api(`/assignments/${assignment.id}/judgment`, "reviewer2", { method: "POST", body: JSON.stringify({ client_id: "x", preferred: "tie" }) });
    expect(someoneElse.status).toBe(404);
    const admin = await api(`/batches/${pairwiseBatch}/next`, "admin");
    expect(admin.status).toBe(403);
    const tooBig = await api(`/assignments/${assignment.id}/judgment`, "reviewer1", { method: "POST", body: JSON.stringify({ client_id: "big", preferred: "tie", rationale: "x".repeat(1_100_000) }) });
    expect(tooBig.status).toBe(413);
  });

  it("skips with 204 and answers 204 on next when nothing is left", async () => {
    let served = 0;
    for (;;) {
      const next = await api(`/batches/${rankingBatch}/next`, "reviewer2");
      if (next.status === 204) break;
      expect(next.status).toBe(200);
      const { assignment } = (await next.json()) as NextBody;
      served++;
      if (served === 1) {
        expect((await api(`/assignments/${assignment.id}/skip`, "reviewer2", { method: "POST" })).status).toBe(204);
        continue;
      }
      const tiers = assignment.responses.map((r) => [r.id]);
      const res = await api(`/assignments/${assignment.id}/judgment`, "reviewer2", { method: "POST", body: JSON.stringify({ client_id: `rank-${served}`, tiers }) });
      expect(res.status).toBe(201);
      expect(served).toBeLessThan(20);
    }
    // 8 demo prompts, overlap 1: one skipped, seven ranked (reviewer1 may rank the skipped one).
    expect(served).toBe(8);
    const skippedAgain = await api(`/assignments/nonexistent/skip`, "reviewer2", { method: "POST" });
    expect(skippedAgain.status).toBe(404);
  });

  it("records a token's last use and refuses it once revoked", async () => {
    const listed = JSON.parse(cli(["tokens", "list", "--json"])) as Array<{ id: string; username: string; lastUsedAt: number | null; revokedAt: number | null }>;
    const mine = listed.find((t) => t.username === "reviewer1")!;
    expect(mine.lastUsedAt).toBeGreaterThan(0);
    const { id, token } = JSON.parse(cli(["tokens", "create", "--username", "reviewer1", "--name", "temp", "--json"])) as { id: string; token: string };
    const use = () => fetch(`${server.url}/api/v1/batches/${pairwiseBatch}/next`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await use()).status).toBe(200);
    cli(["tokens", "revoke", id]);
    const revoked = await use();
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({ error: { code: "unauthorized", message: "the token is unknown or revoked" } });
  });

  it("answers 409 on a paused batch", async () => {
    cli(["batches", "pause", pairwiseBatch]);
    const paused = await api(`/batches/${pairwiseBatch}/next`, "reviewer2");
    expect(paused.status).toBe(409);
    expect(await paused.json()).toEqual({ error: { code: "conflict", message: "this batch is paused" } });
    cli(["batches", "resume", pairwiseBatch]);
  });

  it("answers as before on the lean path: 405 for a method a route lacks, HEAD without a body, a streamed body past 1 MiB refused, unknown API paths as JSON 404", async () => {
    const wrongMethod = await api(`/batches/${pairwiseBatch}/next`, "reviewer1", { method: "POST", body: "{}" });
    expect(wrongMethod.status).toBe(405);
    expect(((await wrongMethod.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    const head = await api(`/batches/${pairwiseBatch}/skipped`, "reviewer1", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    // A chunked body (no Content-Length) of 2 MiB: refused once read past the limit.
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 32; i++) controller.enqueue(new TextEncoder().encode("x".repeat(64 * 1024)));
        controller.close();
      },
    });
    const next = (await (await api(`/batches/${pairwiseBatch}/next`, "reviewer1")).json()) as NextBody;
    const streamed = await api(`/assignments/${next.assignment.id}/judgment`, "reviewer1", { method: "POST", body: chunks, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
    // A byte-order mark is dropped and a character split across chunks is whole, as a Fetch
    // Request's text() reads them (the lean path reads node's request itself).
    const bytes = new TextEncoder().encode(JSON.stringify({ client_id: "api-bom", preferred: next.assignment.responses[0]!.id, strength: 1, rationale: "naïve 👍" }));
    const trickled = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array([0xef, 0xbb, 0xbf]));
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const accepted = await api(`/assignments/${next.assignment.id}/judgment`, "reviewer1", { method: "POST", body: trickled, duplex: "half" } as RequestInit);
    expect(accepted.status).toBe(201);
    expect(((await accepted.json()) as { judgment: { rationale: string } }).judgment.rationale).toBe("naïve 👍");
    const unknown = await api("/no/such/endpoint", "reviewer1");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/application\/json/);
  });

  it("stores nothing from a body cut off by a client that goes away, and goes on serving", async () => {
    const { assignment } = (await (await api(`/batches/${pairwiseBatch}/next`, "reviewer2")).json()) as NextBody;
    const body = JSON.stringify({ client_id: "api-cut", preferred: assignment.responses[0]!.id, strength: 1 });
    const url = new URL(server.url);
    await new Promise<void>((done, fail) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST /api/v1/assignments/${assignment.id}/judgment HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${tokens.reviewer2}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, body.length - 2)}`,
          () => setTimeout(() => socket.destroy(), 100),
        );
      });
      socket.on("close", () => done()).on("error", fail);
    });
    // The lease is still the reviewer's, unjudged: the same assignment comes back, and a whole body is stored once.
    const again = (await (await api(`/batches/${pairwiseBatch}/next`, "reviewer2")).json()) as NextBody;
    expect(again.assignment.id).toBe(assignment.id);
    const whole = await api(`/assignments/${assignment.id}/judgment`, "reviewer2", { method: "POST", body });
    expect(whole.status).toBe(201);
  });
});
