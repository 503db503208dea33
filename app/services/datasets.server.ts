import { sql } from "drizzle-orm";
import { connection } from "./database.server";

export interface DatasetSummary {
  id: string;
  name: string;
  description: string;
  source: string;
  /** The licence given at import (a Hub identifier), or null. */
  license: string | null;
  createdAt: number;
  prompts: number;
  responses: number;
  models: number;
  /** The dataset's own preference pairs (TRL, HH-RLHF imports). */
  importedPairs: number;
}

export function listDatasets(): DatasetSummary[] {
  return connection().db.all<DatasetSummary>(sql`
    SELECT d.id, d.name, d.description, d.source, d.license, d.created_at AS createdAt,
      (SELECT count(*) FROM prompts p WHERE p.dataset_id = d.id) AS prompts,
      (SELECT count(*) FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.dataset_id = d.id) AS responses,
      (SELECT count(DISTINCT r.model) FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.dataset_id = d.id) AS models,
      (SELECT count(*) FROM preference_pairs pp JOIN prompts p ON p.id = pp.prompt_id
        WHERE p.dataset_id = d.id AND pp.source = 'imported') AS importedPairs
    FROM datasets d
    ORDER BY d.created_at DESC, d.name`);
}
