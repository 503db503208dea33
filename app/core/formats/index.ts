import { parseFlatRow } from "./flat";
import { parseHhLine } from "./hh-rlhf";
import type { LineResult } from "./import-unit";
import { parseNativeLine } from "./native";
import { parseTrlLine } from "./trl";
import type { ImportFormat } from "./detect";

export { detectFormat, IMPORT_FORMATS, type ImportFormat } from "./detect";
export type { ImportUnit, LineResult, ResponseInput } from "./import-unit";
export { missingFlatColumns, FLAT_COLUMNS } from "./flat";
export { splitLines, formatBytes, type FileLine } from "./lines";
export type { ContextDocument } from "./sources";

const PARSERS: Record<ImportFormat, (value: unknown, lineNumber: number) => LineResult> = {
  native: parseNativeLine,
  flat: parseFlatRow,
  trl: parseTrlLine,
  "hh-rlhf": parseHhLine,
};

/** Maps one parsed JSON value (or CSV record) of the given format to an import unit. */
export function parseRecord(format: ImportFormat, value: unknown, lineNumber: number): LineResult {
  return PARSERS[format](value, lineNumber);
}
