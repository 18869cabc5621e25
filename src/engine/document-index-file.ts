import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { DocumentWeighting } from "../core/related/document-weights.ts";
import { leadTokens } from "../core/related/lexical-profile.ts";
import { fsyncFile } from "../vectors/graph-files.ts";
import { DocumentIndex, type DocumentIndexSnapshot } from "./document-index.ts";

/**
 * The whole-document lexical index saved beside the graph (engine/document-index.ts), so a start
 * reads it back instead of rebuilding it from every stored lexical profile, which at 100k
 * articles is most of the time to ready (docs/performance.md, "Cold start at 100k"). Like the
 * graph it is derived: it says which store change it includes (`seq`), a start replays the
 * change log from there, and one that is missing, damaged, of another format or weighting, or
 * older than the retained log is rebuilt from the store.
 *
 * One file, `documents.index`: an 8-byte magic, a JSON header (its length first), then the
 * arrays of `DocumentIndexSnapshot` end to end, each padded to 4 bytes, in this machine's byte
 * order (little-endian everywhere Node runs), with a checksum of them in the header. It is
 * written to a temporary file, synced and renamed into place, so a crash leaves the old file or
 * the new one, never a torn one.
 */
export const documentIndexFileName = "documents.index";

/** Bumped whenever the file's layout or what its weights mean changes (document-weights.ts). */
export const documentIndexFormatVersion = 2;

const magic = Buffer.from("KDOCIDX\n");

const headerSchema = z.object({
  format_version: z.literal(documentIndexFormatVersion),
  /** The store's change sequence number the index includes. */
  seq: z.number().int().nonnegative(),
  /** Stored weights are of profiles counting this many lead tokens, weighed with this weighting. */
  lead_tokens: z.number().int(),
  weighting: z.object({ title: z.number(), lead: z.number(), name: z.number(), number: z.number() }),
  /** Element counts of the arrays, in file order. */
  stems_bytes: z.number().int().nonnegative(),
  free_ids: z.number().int().nonnegative(),
  term_ids: z.number().int().nonnegative(),
  posting_keys: z.number().int().nonnegative(),
  postings: z.number().int().nonnegative(),
  document_keys: z.number().int().nonnegative(),
  document_pairs: z.number().int().nonnegative(),
  labels: z.number().int().nonnegative(),
  releases: z.number().int().nonnegative(),
  /** The model whose rankings made the kept lists. */
  kept_model: z.string().nullable(),
  kept_keys: z.number().int().nonnegative(),
  kept_pairs: z.number().int().nonnegative(),
  body_bytes: z.number().int().nonnegative(),
  checksum: z.number().int(),
});
type Header = z.infer<typeof headerSchema>;

export type DocumentIndexLoadResult = { status: "loaded"; index: DocumentIndex; seq: number } | { status: "missing" } | { status: "unusable"; reason: string };

/** Saves the index as of store change `seq` (see the module comment for how a crash is survived). */
export function saveDocumentIndex(dataDir: string, index: DocumentIndex, info: { seq: number; weighting: DocumentWeighting }): void {
  const snapshot = index.snapshot();
  const body = bodyOf(snapshot);
  const parts = withHeader(snapshot, body, info, runToEnd(checksumInSlices(body.parts)));
  const temporaryPath = temporaryPathIn(dataDir);
  try {
    const fd = openSync(temporaryPath, "w");
    try {
      for (const part of parts) writeSync(fd, part);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    // A full disk: nothing half-written is left behind.
    rmSync(temporaryPath, { force: true });
    throw error;
  }
  commit(dataDir, temporaryPath);
}

/**
 * `saveDocumentIndex` with the writing and syncing off the event loop: the index is copied out
 * first (synchronously), so it may change once this returns a promise, and the copy's checksum is
 * taken a slice at a time between other events. When `cancelled()` says so once the file is
 * written, it is removed and nothing is committed; then false.
 */
export async function saveDocumentIndexInBackground(
  dataDir: string,
  index: DocumentIndex,
  info: { seq: number; weighting: DocumentWeighting },
  cancelled: () => boolean,
): Promise<boolean> {
  const snapshot = index.snapshot();
  const body = bodyOf(snapshot);
  const checksum = checksumInSlices(body.parts);
  let step = checksum.next();
  while (!step.done) {
    await new Promise((resolve) => setImmediate(resolve));
    step = checksum.next();
  }
  const parts = withHeader(snapshot, body, info, step.value);
  const temporaryPath = temporaryPathIn(dataDir);
  try {
    const file = await open(temporaryPath, "w");
    try {
      for (const part of parts) await file.write(part);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    rmSync(temporaryPath, { force: true });
    throw error;
  }
  if (cancelled()) {
    rmSync(temporaryPath, { force: true });
    return false;
  }
  commit(dataDir, temporaryPath);
  return true;
}

/** Reads the saved index, or says why it cannot be used (the caller rebuilds it from the store). */
export function readDocumentIndexFile(dataDir: string, weighting: DocumentWeighting): DocumentIndexLoadResult {
  const path = join(dataDir, documentIndexFileName);
  if (!existsSync(path)) return { status: "missing" };
  try {
    const { header, snapshot } = decodeDocumentIndex(readFileSync(path), weighting);
    return { status: "loaded", index: DocumentIndex.fromSnapshot(snapshot, weighting), seq: header.seq };
  } catch (error) {
    return { status: "unusable", reason: (error as Error).message };
  }
}

/** The file's body: the snapshot's arrays in file order, each padded to 4 bytes (and the stems' own length). */
function bodyOf(snapshot: DocumentIndexSnapshot): { parts: Uint8Array[]; stemsBytes: number } {
  const { dictionary, postings, documents, stored, words, kept } = snapshot;
  const stems = Buffer.from(JSON.stringify(dictionary.stems));
  const parts = [
    stems,
    dictionary.free,
    dictionary.releasedAt,
    postings.lengths,
    postings.ints,
    postings.floats,
    documents.lengths,
    documents.ints,
    documents.floats,
    stored,
    words,
    kept.lengths,
    kept.ints,
    kept.floats,
    snapshot.hasKept,
    snapshot.keptAt,
  ].map(padded);
  return { parts, stemsBytes: stems.length };
}

/** The file's parts, header first. */
function withHeader(
  snapshot: DocumentIndexSnapshot,
  { parts: body, stemsBytes }: { parts: Uint8Array[]; stemsBytes: number },
  info: { seq: number; weighting: DocumentWeighting },
  checksum: number,
): Uint8Array[] {
  const { dictionary, postings, documents, stored, kept } = snapshot;
  const header: Header = {
    format_version: documentIndexFormatVersion,
    seq: info.seq,
    lead_tokens: leadTokens,
    weighting: weightingOf(info.weighting),
    stems_bytes: stemsBytes,
    free_ids: dictionary.free.length,
    term_ids: dictionary.releasedAt.length,
    posting_keys: postings.lengths.length,
    postings: postings.ints.length,
    document_keys: documents.lengths.length,
    document_pairs: documents.ints.length,
    labels: stored.length,
    releases: dictionary.releases,
    kept_model: snapshot.keptModelId,
    kept_keys: kept.lengths.length,
    kept_pairs: kept.ints.length,
    body_bytes: body.reduce((sum, part) => sum + part.byteLength, 0),
    checksum,
  };
  // Padded with spaces, which JSON allows after a value (the header is ASCII: one byte a character).
  const headerText = JSON.stringify(header);
  const headerBytes = Buffer.from(headerText.padEnd(paddedLength(headerText.length), " "));
  const headerLength = Buffer.alloc(4);
  headerLength.writeUInt32LE(headerBytes.length);
  return [magic, headerLength, headerBytes, ...body];
}

function decodeDocumentIndex(file: Buffer, weighting: DocumentWeighting): { header: Header; snapshot: DocumentIndexSnapshot } {
  if (file.length < 12 || !file.subarray(0, magic.length).equals(magic)) throw new Error("not a kindred document index file");
  const headerLength = file.readUInt32LE(8);
  if (12 + headerLength > file.length) throw new Error(`the header runs past the file's ${file.length} bytes`);
  const parsed = headerSchema.safeParse(JSON.parse(file.toString("utf8", 12, 12 + headerLength)));
  if (!parsed.success) throw new Error(`header does not match format ${documentIndexFormatVersion}`);
  const header = parsed.data;
  if (header.lead_tokens !== leadTokens) throw new Error(`weights are of profiles counting ${header.lead_tokens} lead tokens, not ${leadTokens}`);
  if (JSON.stringify(header.weighting) !== JSON.stringify(weightingOf(weighting))) throw new Error("weights were weighed with another document weighting");
  const bodyStart = 12 + headerLength;
  if (file.length - bodyStart !== header.body_bytes) throw new Error(`body has ${file.length - bodyStart} bytes, header says ${header.body_bytes}`);
  // Typed arrays over the file need 4-byte alignment; a read buffer normally has it.
  const aligned = file.byteOffset % 4 === 0 ? file : Buffer.from(file);
  const body = new Uint8Array(aligned.buffer, aligned.byteOffset + bodyStart, header.body_bytes);
  if (runToEnd(checksumInSlices([body])) !== header.checksum) throw new Error("checksum does not match: the file is damaged");
  let at = body.byteOffset;
  const take = <T>(make: (buffer: ArrayBuffer, offset: number, length: number) => T, length: number, bytesEach: number): T => {
    const view = make(body.buffer as ArrayBuffer, at, length);
    at += paddedLength(length * bytesEach);
    return view;
  };
  const int32s = (length: number) => take((buffer, offset, n) => new Int32Array(buffer, offset, n), length, 4);
  const float32s = (length: number) => take((buffer, offset, n) => new Float32Array(buffer, offset, n), length, 4);
  const stemsBytes = take((buffer, offset, n) => new Uint8Array(buffer, offset, n), header.stems_bytes, 1);
  const stems = JSON.parse(Buffer.from(stemsBytes.buffer, stemsBytes.byteOffset, stemsBytes.length).toString("utf8")) as unknown;
  // A plain check: a schema's parse of every stem costs more than the rest of the read.
  if (!Array.isArray(stems) || !stems.every((stem) => typeof stem === "string")) throw new Error("stems are not a list of strings");
  const dictionary = { stems, free: int32s(header.free_ids), releasedAt: int32s(header.term_ids), releases: header.releases };
  const postings = { lengths: int32s(header.posting_keys), ints: int32s(header.postings), floats: float32s(header.postings) };
  const documents = { lengths: int32s(header.document_keys), ints: int32s(header.document_pairs), floats: float32s(header.document_pairs) };
  const stored = take((buffer, offset, n) => new Uint8Array(buffer, offset, n), header.labels, 1);
  const words = int32s(header.labels);
  const kept = { lengths: int32s(header.kept_keys), ints: int32s(header.kept_pairs), floats: float32s(header.kept_pairs) };
  const hasKept = take((buffer, offset, n) => new Uint8Array(buffer, offset, n), header.labels, 1);
  const keptAt = int32s(header.labels);
  checkReferences(stems, postings.ints, documents.ints, stored, kept.ints);
  return { header, snapshot: { dictionary, postings, documents, stored, words, kept, hasKept, keptAt, keptModelId: header.kept_model } };
}

/** Every posting and kept list names a label and every vector a term id within the arrays they index (which `fromSnapshot` sizes by these). */
function checkReferences(stems: readonly string[], postingLabels: Int32Array, documentTerms: Int32Array, stored: Uint8Array, keptLabels: Int32Array): void {
  const outside = (values: Int32Array, end: number) => {
    let lowest = 0;
    let highest = -1;
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (value < lowest) lowest = value;
      if (value > highest) highest = value;
    }
    return lowest < 0 || highest >= end;
  };
  if (outside(postingLabels, stored.length)) throw new Error(`a posting names a label outside 0..${stored.length - 1}`);
  if (outside(documentTerms, stems.length)) throw new Error(`a vector holds a term id outside 0..${stems.length - 1}`);
  if (outside(keptLabels, stored.length)) throw new Error(`a kept list names a label outside 0..${stored.length - 1}`);
}

function weightingOf(weighting: DocumentWeighting): Header["weighting"] {
  return { title: weighting.titleWeight, lead: weighting.leadWeight, name: weighting.nameBoost, number: weighting.numberBoost };
}

/** An array's bytes, with zeros to a multiple of 4 (and always a copy-free view when already a multiple, aligned). */
function padded(array: Uint8Array | Int32Array | Float32Array): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (bytes.byteLength % 4 === 0 && bytes.byteOffset % 4 === 0) return bytes;
  const copy = new Uint8Array(paddedLength(bytes.byteLength));
  copy.set(bytes);
  return copy;
}

function paddedLength(bytes: number): number {
  return Math.ceil(bytes / 4) * 4;
}

/**
 * FNV-1a over 32-bit words of 4-aligned parts: finds a damaged file (not an attacker's). It
 * pauses after each slice of words, so a server can take it between requests.
 */
function* checksumInSlices(parts: readonly Uint8Array[], wordsPerSlice = 1 << 20): Generator<void, number> {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    const words = new Int32Array(part.buffer, part.byteOffset, part.byteLength / 4);
    for (let from = 0; from < words.length; from += wordsPerSlice) {
      const end = Math.min(words.length, from + wordsPerSlice);
      for (let i = from; i < end; i++) hash = Math.imul(hash ^ words[i]!, 0x01000193);
      yield;
    }
  }
  return hash | 0;
}

function runToEnd<T>(steps: Generator<void, T>): T {
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

let saves = 0;

/** A name no other save uses, with the pid that `removeAbandonedGraphFiles` (vectors/graph-files.ts) reads to sweep it after a crash. */
function temporaryPathIn(dataDir: string): string {
  return join(dataDir, `${documentIndexFileName}.${process.pid}.${Date.now().toString(36)}${++saves}.tmp`);
}

/** Renames a written, synced file into place and syncs the directory: the commit point. */
function commit(dataDir: string, temporaryPath: string): void {
  renameSync(temporaryPath, join(dataDir, documentIndexFileName));
  fsyncFile(dataDir);
}
