/**
 * What a model's answers cost (issue 11): prices in USD per million tokens, token usage from
 * the responses (sampled, or imported with `usage.prompt_tokens` / `usage.completion_tokens`).
 */
export interface ModelPrice {
  inputUsdPerMtok: number;
  outputUsdPerMtok: number;
}

/**
 * USD for 1,000 responses of a model: 1,000 × (mean input tokens × input price + mean output
 * tokens × output price) / 1,000,000. Undefined (null) without a price or without the mean
 * token counts of its responses: a cost guessed from half the figures would mislead.
 */
export function usdPer1kResponses(price: ModelPrice | null, meanInputTokens: number | null, meanOutputTokens: number | null): number | null {
  if (!price || meanInputTokens === null || meanOutputTokens === null) return null;
  return (1000 * (meanInputTokens * price.inputUsdPerMtok + meanOutputTokens * price.outputUsdPerMtok)) / 1_000_000;
}

/**
 * The cost-quality frontier: the models no other model beats on both, i.e. no other model is
 * at most as expensive and rated higher, or cheaper and rated at least as high (the Pareto
 * set of (low cost, high rating)). Models without a cost are not on it. The cheapest model is
 * always on it (ties in cost: the best rated of them), as is the best rated one with a cost.
 */
export function costFrontier(models: ReadonlyArray<{ model: string; rating: number; usd: number | null }>): Set<string> {
  const priced = models.filter((m): m is { model: string; rating: number; usd: number } => m.usd !== null);
  const frontier = new Set<string>();
  for (const m of priced) {
    const beaten = priced.some((o) => o !== m && o.usd <= m.usd && o.rating >= m.rating && (o.usd < m.usd || o.rating > m.rating));
    if (!beaten) frontier.add(m.model);
  }
  return frontier;
}
