/** The options of the A/B benches that name two checkouts and a copy of one data directory for each. */
export const twoBuildOptions = {
  a: { type: "string" },
  b: { type: "string" },
  "data-a": { type: "string" },
  "data-b": { type: "string" },
} as const;

/** The two checkouts and their data directories, or an error saying what is missing. */
export function twoBuildsFrom(
  values: { a?: string | undefined; b?: string | undefined; "data-a"?: string | undefined; "data-b"?: string | undefined },
  checkouts: string,
): { a: string; b: string; dataA: string; dataB: string } {
  const { a, b, "data-a": dataA, "data-b": dataB } = values;
  if (a === undefined || b === undefined || dataA === undefined || dataB === undefined) {
    throw new Error(`--a ROOT --data-a DIR --b ROOT --data-b DIR: two ${checkouts} and two copies of one indexed data directory`);
  }
  return { a, b, dataA, dataB };
}
