import { basename } from "node:path";
import type { MissReason, ShownResult } from "../core/eval/measured-list.ts";

/**
 * One query's measured list under one mode, as `kindred eval --lists FILE` writes it (one JSON
 * object per line): what the figures were computed from, so a reader can see which results were
 * of the query's story or label, what was folded into each, and which story members the list
 * missed and why (core/eval/measured-list.ts).
 */
export interface ListRow {
  /** The evaluation file's name, as in the per-query rows. */
  file: string;
  mode: string;
  id: string;
  label: string;
  story: string | null;
  /** The list as measured (k results, or as many as the story needs for R-precision), best first. */
  results: { id: string; sameStory: boolean; sameLabel: boolean; copies: readonly string[] }[];
  missed: MissReason[];
}

/** A query's list row from what the evaluation measured. */
export function listRow(
  file: string,
  mode: string,
  query: { id: string; label: string; story: string | null },
  shown: readonly ShownResult[],
  judged: (id: string) => { label: string; story: string | null } | undefined,
  missed: MissReason[],
): ListRow {
  return {
    file: basename(file),
    mode,
    id: query.id,
    label: query.label,
    story: query.story,
    results: shown.map((result) => {
      const judgement = judged(result.id);
      return {
        id: result.id,
        sameStory: query.story !== null && judgement?.story === query.story,
        sameLabel: judgement?.label === query.label,
        copies: result.copies,
      };
    }),
    missed,
  };
}
