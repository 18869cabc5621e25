import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noFilters } from "../../src/core/related/related-filters.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { openDemoSliceCopy } from "../support/open-test-engine.ts";

/**
 * A computed list's objects are garbage once it is returned. They were not, to the young-generation
 * collector: the dense search was a generator function made per list, whose own prototype and
 * hidden class (old-generation objects) pointed back at it and so at the whole candidate pool it
 * closed over, and every scavenge kept and then promoted each list's pool until a full collection
 * (issue 14, docs/performance.md). Under load that was megabytes promoted per second and a full
 * collection every couple of seconds, with requests queued behind it. This pins what a list
 * leaves behind for scavenges, the collector that runs between lists, not for a full collection
 * (which always freed it).
 */
describe("garbage of a computed related list", () => {
  let opened: OpenedEngine;
  beforeAll(async () => {
    opened = await openDemoSliceCopy();
  });
  afterAll(async () => {
    await opened.close();
  });

  it("is left for the young generation: scavenges between lists promote a small part of what they did", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
    const { engine } = opened;
    const ids = engine.listIds();
    const list = (n: number) =>
      engine.findRelatedToArticle(ids[(n * 37) % ids.length]!, { k: 10, filters: noFilters, ranking: { mode: "hybrid" } }, { cache: false }).results.length;
    let shown = 0;
    for (let n = 0; n < 300; n++) shown += list(n); // code compiled and per-label memos filled before the baseline
    gc({ type: "major" });
    gc({ type: "minor" });
    gc({ type: "minor" });
    const oldBytes = () => getHeapSpaceStatistics().find((space) => space.space_name === "old_space")!.space_used_size;
    const before = oldBytes();
    const lists = 250;
    for (let n = 0; n < lists; n++) {
      shown += list(n);
      // An object alive through two scavenges is promoted. Every 25 lists, so that what only the
      // list in hand holds (a scratch array, a memo of the last query) counts for little.
      if (n % 25 === 24) {
        gc({ type: "minor" });
        gc({ type: "minor" });
      }
    }
    const promotedPerList = (oldBytes() - before) / lists;
    expect(shown).toBe(550 * 10);
    // Each list's pool (its sets, arrays, search results) was about twice this bound on this
    // slice; what is left is a fraction of it (docs/performance.md has the figures).
    expect(promotedPerList).toBeLessThan(6_000);
  });
});
