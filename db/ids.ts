import { randomBytes } from "node:crypto";

let lastTime = 0;
let counter = 0;

/**
 * A new row id: 10 base-36 characters of time, 4 of a per-millisecond counter, 10 random.
 * Ids made by one process sort by creation time, so bulk imports append to the primary-key
 * index instead of scattering writes across it (random UUIDs make big imports markedly slower).
 */
export function newId(): string {
  const now = Date.now();
  if (now === lastTime) {
    counter++;
  } else {
    lastTime = now;
    counter = 0;
  }
  return (
    now.toString(36).padStart(10, "0") +
    counter.toString(36).padStart(4, "0") +
    randomSuffix()
  );
}

const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

function randomSuffix(): string {
  if (poolOffset + 10 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  let out = "";
  for (let i = 0; i < 10; i++) out += ALPHABET[pool[poolOffset++]! % 36];
  return out;
}
