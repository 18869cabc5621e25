import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultDocumentWeighting } from "../../src/core/related/document-weights.ts";
import { DocumentIndex } from "../../src/engine/document-index.ts";
import { documentIndexFileName, readDocumentIndexFile, saveDocumentIndex, saveDocumentIndexInBackground } from "../../src/engine/document-index-file.ts";
import { removeAbandonedGraphFiles } from "../../src/vectors/graph-files.ts";
import { answersOf, churnDocumentIndex } from "../support/lexical-churn.ts";
import { useTempDir } from "../support/temp-dir.ts";

const weighting = defaultDocumentWeighting;

function loaded(dataDir: string): DocumentIndex {
  const result = readDocumentIndexFile(dataDir, weighting);
  if (result.status !== "loaded") throw new Error(`expected a loaded index, got ${JSON.stringify(result)}`);
  return result.index;
}

function sortedLabels(index: DocumentIndex): number[] {
  return index.labels();
}

/** A saved churned index (ids reused, an epoch past zero, free ids waiting) in a directory of its own. */
function savedChurnedIndex(seed: number): { dataDir: string; index: DocumentIndex } {
  const dataDir = useTempDir("kindred-documents-");
  const index = new DocumentIndex();
  churnDocumentIndex(index, 6000, seed);
  saveDocumentIndex(dataDir, index, { seq: 42, weighting });
  return { dataDir, index };
}

describe("the document index saved beside the graph", () => {
  it("loads a churned index that answers as the saved one, to the last bit of every score", () => {
    const { dataDir, index } = savedChurnedIndex(33);
    const result = readDocumentIndexFile(dataDir, weighting);
    expect(result.status === "loaded" && result.seq).toBe(42);
    const copy = loaded(dataDir);
    expect(copy.size()).toBe(index.size());
    expect(copy.termCount()).toBe(index.termCount());
    const labels = sortedLabels(index);
    expect(sortedLabels(copy)).toEqual(labels);
    expect(JSON.stringify(answersOf(copy, labels))).toBe(JSON.stringify(answersOf(index, labels)));
  });

  it("saves each article's kept list, when it was made and by which model, and reads them back", () => {
    const { dataDir, index } = savedChurnedIndex(5);
    const labels = sortedLabels(index);
    labels.slice(0, 40).forEach((label, n) => {
      const neighbours = labels.slice(n + 1, n + 1 + (n % 4));
      index.keepList(label, { labels: Int32Array.from(neighbours), scores: Float32Array.from(neighbours, (_, k) => 9 - k) }, 100 + n);
    });
    index.keptModelId = "google/use-lite-int8";
    saveDocumentIndex(dataDir, index, { seq: 43, weighting });
    const copy = loaded(dataDir);
    expect(copy.keptModelId).toBe("google/use-lite-int8");
    for (const label of labels) {
      expect(copy.hasKeptList(label), `label ${label}`).toBe(index.hasKeptList(label));
      expect(copy.keptListMadeAt(label)).toBe(index.keptListMadeAt(label));
      expect([...copy.keptList(label).labels]).toEqual([...index.keptList(label).labels]);
      expect([...copy.keptList(label).scores]).toEqual([...index.keptList(label).scores]);
    }
    expect(labels.filter((label) => copy.hasKeptList(label))).toHaveLength(40);
  });

  it("goes on under writes as the saved one does: the same term ids, epoch and free ids come back", () => {
    const { dataDir, index } = savedChurnedIndex(21);
    const copy = loaded(dataDir);
    // The same writes on both: a new stem takes a free id, in the order the free list hands them out.
    churnDocumentIndex(index, 3000, 8);
    churnDocumentIndex(copy, 3000, 8);
    const labels = sortedLabels(index);
    expect(sortedLabels(copy)).toEqual(labels);
    for (const label of labels) {
      const [a, b] = [index.termsOf(label)!, copy.termsOf(label)!];
      expect([...b.terms], `label ${label}`).toEqual([...a.terms]);
      expect(b.epoch).toBe(a.epoch);
    }
    expect(JSON.stringify(answersOf(copy, labels))).toBe(JSON.stringify(answersOf(index, labels)));
  });

  it("answers as an index rebuilt from the same articles (equal to rounding: the ids differ)", () => {
    const index = new DocumentIndex();
    const final = churnDocumentIndex(index, 6000, 5);
    const dataDir = useTempDir("kindred-documents-");
    saveDocumentIndex(dataDir, index, { seq: 1, weighting });
    const copy = loaded(dataDir);
    const fresh = new DocumentIndex();
    const labels = [...final.keys()].sort((a, b) => a - b);
    for (const label of labels) fresh.upsert(label, final.get(label)!);
    for (const label of labels) {
      const found = copy.search(copy.termsOf(label)!, 8, (other) => other !== label);
      const rebuilt = fresh.search(fresh.termsOf(label)!, 8, (other) => other !== label);
      expect(found.map((hit) => hit.label)).toEqual(rebuilt.map((hit) => hit.label));
      found.forEach((hit, i) => expect(Math.abs(hit.score - rebuilt[i]!.score)).toBeLessThan(1e-12));
      expect(copy.wordsOf(label)).toBe(fresh.wordsOf(label));
    }
  });

  it("says a missing file is missing", () => {
    expect(readDocumentIndexFile(useTempDir("kindred-documents-"), weighting)).toEqual({ status: "missing" });
  });

  it("refuses a damaged, truncated, foreign or differently weighed file, saying why", () => {
    const { dataDir } = savedChurnedIndex(3);
    const path = join(dataDir, documentIndexFileName);
    const good = readFileSync(path);
    const reasonFor = (bytes: Buffer, with_ = weighting) => {
      writeFileSync(path, bytes);
      const result = readDocumentIndexFile(dataDir, with_);
      return result.status === "unusable" ? result.reason : result.status;
    };
    const flipped = Buffer.from(good);
    flipped[good.length - 100]! ^= 0x10;
    expect(reasonFor(flipped)).toMatch(/checksum/);
    expect(reasonFor(good.subarray(0, good.length - 8))).toMatch(/body has \d+ bytes, header says \d+/);
    expect(reasonFor(Buffer.from("graph file, not ours"))).toMatch(/not a kindred document index/);
    const otherFormat = Buffer.from(good.toString("latin1").replace('"format_version":2', '"format_version":9'), "latin1");
    expect(reasonFor(otherFormat)).toMatch(/does not match format 2/);
    expect(reasonFor(good, { ...weighting, titleWeight: 3 })).toMatch(/another document weighting/);
    expect(reasonFor(good)).toBe("loaded");
  });

  it("keeps the saved file when a save dies mid-way, and sweeps the dead save's file", () => {
    const { dataDir, index } = savedChurnedIndex(9);
    const before = readFileSync(join(dataDir, documentIndexFileName));
    // What a save killed while writing leaves: a temporary file named with its (now gone) pid.
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid!;
    const leftOver = `${documentIndexFileName}.${deadPid}.abc1.tmp`;
    writeFileSync(join(dataDir, leftOver), before.subarray(0, 1000));
    expect(readFileSync(join(dataDir, documentIndexFileName))).toEqual(before);
    expect(loaded(dataDir).size()).toBe(index.size());
    expect(removeAbandonedGraphFiles(dataDir)).toEqual([leftOver]);
    expect(readdirSync(dataDir)).toEqual([documentIndexFileName]);
  });

  it("commits a background save unless cancelled, and then leaves no file behind", async () => {
    const dataDir = useTempDir("kindred-documents-");
    const index = new DocumentIndex();
    churnDocumentIndex(index, 500, 4);
    expect(await saveDocumentIndexInBackground(dataDir, index, { seq: 7, weighting }, () => true)).toBe(false);
    expect(readdirSync(dataDir)).toEqual([]);
    const saving = saveDocumentIndexInBackground(dataDir, index, { seq: 8, weighting }, () => false);
    // Copied out when the save starts: a write meanwhile is not in the file.
    index.remove(index.labels()[0]!);
    expect(await saving).toBe(true);
    const result = readDocumentIndexFile(dataDir, weighting);
    expect(result.status === "loaded" && [result.seq, result.index.size()]).toEqual([8, index.size() + 1]);
    expect(existsSync(join(dataDir, documentIndexFileName))).toBe(true);
  });
});
