/**
 * A fake OpenAI-compatible server on loopback for the sampling tests and bench. The test sets
 * `behave` to decide, per request, how it answers: OK (with usage), slowly, 429 with
 * Retry-After, 500, a malformed body, no choices, or a dropped connection. A request with
 * `stream: true` is answered as server-sent events instead (the `ok` text in `chunkChars`-sized
 * deltas, `chunkDelayMs` apart, then a usage chunk when `stream_options.include_usage`, then
 * `[DONE]`), as the arena's tests need.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour =
  | { kind: "ok"; delayMs?: number; text?: string; chunkChars?: number; chunkDelayMs?: number }
  | { kind: "slow"; delayMs: number }
  | { kind: "status"; status: number; body?: string; retryAfter?: string }
  | { kind: "malformed" }
  | { kind: "no_choices" }
  | { kind: "drop" };

export interface FakeRequest {
  /** 1 for the first request the server got. */
  number: number;
  /** 1 for the first request with this body (the same prompt and sample), 2 for its first retry, … */
  attempt: number;
  body: { model: string; messages: Array<{ role: string; content: string }>; seed?: number; [key: string]: unknown };
  authorization: string | undefined;
  at: number;
}

export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  /** OK answers sent in full. */
  answered: number;
  /** TCP connections accepted: far fewer than requests when the client keeps them alive. */
  connections: number;
  behave: (request: FakeRequest) => Behaviour;
  close: () => Promise<void>;
}

/** The last user message of a request: tests put their instructions for the server there. */
export function lastUserText(request: FakeRequest): string {
  return [...request.body.messages].reverse().find((m) => m.role === "user")?.content ?? "";
}

export async function startFakeOpenAI(): Promise<FakeServer> {
  const attempts = new Map<string, number>();
  const state: FakeServer = {
    url: "",
    requests: [],
    answered: 0,
    connections: 0,
    behave: () => ({ kind: "ok" }),
    close: async () => {},
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
      return;
    }
    const body = JSON.parse(raw) as FakeRequest["body"];
    const attempt = (attempts.get(raw) ?? 0) + 1;
    attempts.set(raw, attempt);
    const request: FakeRequest = { number: state.requests.length + 1, attempt, body, authorization: req.headers.authorization, at: Date.now() };
    state.requests.push(request);
    const b = state.behave(request);
    if (b.kind === "drop") {
      req.socket.destroy();
      return;
    }
    if (b.kind === "slow" || (b.kind === "ok" && b.delayMs)) await new Promise((r) => setTimeout(r, b.delayMs));
    if (res.destroyed) return;
    if (b.kind === "status") {
      res.writeHead(b.status, { "content-type": "application/json", ...(b.retryAfter === undefined ? {} : { "retry-after": b.retryAfter }) });
      res.end(b.body ?? `{"error":{"message":"status ${b.status}"}}`);
      return;
    }
    if (b.kind === "malformed") {
      res.writeHead(200, { "content-type": "text/html" }).end("<html><body>502 Bad Gateway from the proxy</body></html>");
      return;
    }
    if (b.kind === "no_choices") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"id":"x","object":"chat.completion","choices":[]}');
      return;
    }
    const text = b.kind === "ok" && b.text !== undefined ? b.text : `answer to "${lastUserText(request)}" with seed ${body.seed ?? "none"}`;
    if (body.stream === true) {
      await streamAnswer(res, request, text, b.kind === "ok" ? b : { kind: "ok" });
      if (!res.destroyed) state.answered++;
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${request.number}`,
        object: "chat.completion",
        model: `${body.model}-served`,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
        usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
      }),
    );
    state.answered++;
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on("connection", () => state.connections++);
  // undici takes 1 s off the server's keep-alive hint, so a 1 s timeout would close every
  // socket after one request; close() ends the idle ones itself.
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** Answers a `stream: true` request as OpenAI does: SSE `data:` lines of deltas, an optional usage chunk, `[DONE]`. */
async function streamAnswer(res: ServerResponse, request: FakeRequest, text: string, b: Extract<Behaviour, { kind: "ok" }>): Promise<void> {
  const id = `chatcmpl-${request.number}`;
  const model = `${request.body.model}-served`;
  const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  send({ id, object: "chat.completion.chunk", model, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
  const size = Math.max(1, b.chunkChars ?? 8);
  for (let at = 0; at < text.length; at += size) {
    if (res.destroyed) return;
    if (b.chunkDelayMs) await new Promise((r) => setTimeout(r, b.chunkDelayMs));
    send({ id, object: "chat.completion.chunk", model, choices: [{ index: 0, delta: { content: text.slice(at, at + size) }, finish_reason: null }] });
  }
  send({ id, object: "chat.completion.chunk", model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  const options = request.body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage) send({ id, object: "chat.completion.chunk", model, choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } });
  res.end("data: [DONE]\n\n");
}
