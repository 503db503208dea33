import { z } from "zod";

/** Every environment variable Verdict reads, validated once (README: Configuration). */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  VERDICT_DB: z.string().min(1).default("./data/verdict.db"),
  VERDICT_SESSION_DAYS: z.coerce.number().positive().default(7),
  VERDICT_MAX_UPLOAD_MB: z.coerce.number().positive().default(1024),
  VERDICT_MAX_LINE_MB: z.coerce.number().positive().default(16),
  VERDICT_SEED: z.enum(["demo", "none"]).default("demo"),
  /** Where users reach the server (behind a proxy, its public address): the origin of links the CLI prints. */
  VERDICT_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: "an http(s) URL such as https://verdict.example.org" })
    .transform((url) => url.replace(/\/+$/, ""))
    .optional(),
});

export type Config = z.infer<typeof envSchema>;

let cached: Config | undefined;

export function config(): Config {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  cached = parsed.data;
  return cached;
}
