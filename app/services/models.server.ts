import { desc } from "drizzle-orm";
import { z } from "zod";
import { modelPrices } from "../../db/schema";
import type { ModelPrice } from "../core/cost/price";
import { connection } from "./database.server";
import { invalidFrom } from "./validation.server";
import { recordAudit } from "./audit.server";

/**
 * Models and their prices (issue 11, point 6). A model is a name responses carry (`model`, the
 * sampling label); its price is USD per million input and output tokens, set by an admin.
 */
const usdPerMtok = z.coerce
  .number({ error: "a price in USD per million tokens, e.g. 0.15" })
  .refine((n) => Number.isFinite(n), "a price in USD per million tokens, e.g. 0.15")
  .min(0, "a price is not negative")
  .max(10_000, "more than 10,000 USD per million tokens: check the unit");

const priceSchema = z.object({
  model: z.string().trim().min(1, "name the model, as its responses carry it").max(200),
  input_usd_per_mtok: usdPerMtok,
  output_usd_per_mtok: usdPerMtok,
});

export interface ModelPriceRecord {
  model: string;
  input_usd_per_mtok: number;
  output_usd_per_mtok: number;
  updated_at: string;
}

const record = (row: typeof modelPrices.$inferSelect): ModelPriceRecord => ({
  model: row.model,
  input_usd_per_mtok: row.inputUsdPerMtok,
  output_usd_per_mtok: row.outputUsdPerMtok,
  updated_at: new Date(row.updatedAt).toISOString(),
});

/** Sets (or replaces) a model's price; 400 with field messages for a bad one. */
export function setModelPrice(input: unknown, actorId: string | null = null): ModelPriceRecord {
  const parsed = priceSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const { model, input_usd_per_mtok, output_usd_per_mtok } = parsed.data;
  const values = { model, inputUsdPerMtok: input_usd_per_mtok, outputUsdPerMtok: output_usd_per_mtok, updatedAt: Date.now() };
  const { db } = connection();
  return db.transaction((tx) => {
    const [row] = tx
      .insert(modelPrices)
      .values(values)
      .onConflictDoUpdate({ target: modelPrices.model, set: { inputUsdPerMtok: values.inputUsdPerMtok, outputUsdPerMtok: values.outputUsdPerMtok, updatedAt: values.updatedAt } })
      .returning()
      .all();
    recordAudit(tx, { userId: actorId, action: "model.price", subject: model, detail: { input_usd_per_mtok, output_usd_per_mtok } });
    return record(row!);
  });
}

export function listModelPrices(): ModelPriceRecord[] {
  return connection().db.select().from(modelPrices).orderBy(desc(modelPrices.updatedAt)).all().map(record);
}

/** The prices by model, for the leaderboards. */
export function priceTable(): Map<string, ModelPrice> {
  return new Map(connection().db.select().from(modelPrices).all().map((p) => [p.model, { inputUsdPerMtok: p.inputUsdPerMtok, outputUsdPerMtok: p.outputUsdPerMtok }]));
}

/** Every model name responses carry, with how many responses and its price if set: the models page. */
export function listModels(): Array<{ model: string; responses: number; price: ModelPriceRecord | null }> {
  const prices = new Map(listModelPrices().map((p) => [p.model, p]));
  const counts = connection().sqlite.prepare<[], { model: string; n: number }>("SELECT model, count(*) AS n FROM responses GROUP BY model ORDER BY model").all();
  const seen = new Set(counts.map((c) => c.model));
  return [
    ...counts.map((c) => ({ model: c.model, responses: c.n, price: prices.get(c.model) ?? null })),
    // A price set before any response of the model arrived (e.g. before sampling) is still shown.
    ...[...prices.values()].filter((p) => !seen.has(p.model)).map((p) => ({ model: p.model, responses: 0, price: p })),
  ];
}
