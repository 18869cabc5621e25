import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { PassThrough, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { KindredError } from "../core/errors.ts";

/** Where and why a file stopped being readable part-way (a cut or damaged `.gz`). */
export interface InputDamage {
  /** Bytes of the file (for `.gz`, of the compressed data) read before the damage showed. */
  fileOffset: number;
  /** What zlib (or the file system) said, e.g. "unexpected end of file". */
  reason: string;
}

/** An input's bytes, and after they end, whether they ended early because the file is damaged. */
export interface OpenedInput {
  /** The bytes (gunzipped for `.gz`); never errors: a damaged file just ends early. */
  stream: Readable;
  /** Set once `stream` has ended if it ended because the file is damaged. */
  damage: () => InputDamage | null;
  /** Bytes of the file read so far (for `.gz`, of the compressed data): progress through it. */
  bytesRead: () => number;
}

/**
 * Opens a file (or `-` for stdin) as a byte stream, gunzipping `.gz` files on the fly. A
 * damaged or cut `.gz` does not throw: the stream ends with everything decompressed before
 * the damage, and `damage()` says where it was, so readers keep the complete records before it.
 */
export async function openInput(path: string): Promise<OpenedInput> {
  if (path === "-") return { stream: process.stdin, damage: () => null, bytesRead: () => process.stdin.bytesRead };
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) {
    throw new KindredError("input_unreadable", `Cannot read "${path}": no such file.`, { file: path });
  }
  const file = createReadStream(path);
  // Larger pieces than the 16 KiB defaults: fewer hand-offs between zlib's thread and the
  // reader, which otherwise waits on each (the readers cut lines across pieces themselves).
  const gunzip = path.endsWith(".gz") ? createGunzip({ chunkSize: 256 * 1024 }) : null;
  const source: Readable = gunzip === null ? file : file.pipe(gunzip);
  const output = new PassThrough({ highWaterMark: 1024 * 1024 });
  let damage: InputDamage | null = null;
  const fail = (error: NodeJS.ErrnoException) => {
    if (damage !== null) return;
    damage = { fileOffset: gunzip?.bytesWritten ?? file.bytesRead, reason: error.message };
    source.unpipe(output);
    output.end();
  };
  file.once("error", fail);
  gunzip?.once("error", fail);
  source.pipe(output);
  return { stream: output, damage: () => damage, bytesRead: () => file.bytesRead };
}

/** The format of an input, from its name with any `.gz` removed. */
export type InputFormat = "jsonl" | "json" | "csv";

export function detectInputFormat(path: string): InputFormat {
  const name = path.replace(/\.gz$/, "").toLowerCase();
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".json")) return "json";
  // .jsonl, .ndjson and stdin are JSON Lines: the one format that streams at any size.
  return "jsonl";
}

/**
 * The one-line report of a damaged file, at the line where reading stopped: what was kept and
 * what was not, so the person importing knows to fetch the file again.
 */
export function describeDamage(damage: InputDamage, line: number): string {
  const kept = line === 1 ? "nothing in it could be read" : `the records before line ${line} were read, the rest of the file could not be`;
  return `the file is damaged at byte ${damage.fileOffset} (${damage.reason}): ${kept}`;
}
