/**
 * The sampling bench's endpoint in a process of its own, so the sampler's figures are not
 * shared with the server's work: answers every request after LATENCY_MS (argv[2]), prints its
 * base URL on stdout, and runs until stdin closes.
 */
import { startFakeOpenAI } from "../support/fake-openai";

const latencyMs = Number(process.argv[2] ?? 50);
const server = await startFakeOpenAI();
server.behave = () => ({ kind: "ok", delayMs: latencyMs });
process.stdout.write(`${server.url}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void server.close().then(() => process.exit(0));
});
