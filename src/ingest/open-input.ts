import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { KindredError } from "../core/errors.ts";

/** Opens a file (or `-` for stdin) as a byte stream, gunzipping `.gz` files on the fly. */
export async function openInput(path: string): Promise<Readable> {
  if (path === "-") return process.stdin;
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) {
    throw new KindredError("input_unreadable", `Cannot read "${path}": no such file.`, { file: path });
  }
  const stream = createReadStream(path);
  return path.endsWith(".gz") ? stream.pipe(createGunzip()) : stream;
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
