import { isUtf8 } from "node:buffer";

/**
 * The offset of the first byte that is not well-formed UTF-8 (Unicode §3.9, table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or -1 if all of `bytes` is. Records
 * with such bytes are rejected, never decoded with U+FFFD in their place: two different ids
 * would otherwise become one.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const byte = bytes[i + k];
      if (byte === undefined) return i;
      if (k === 1 ? byte < low || byte > high : byte < 0x80 || byte > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

/** A reason for a record holding invalid UTF-8, naming the byte and where it is. */
export function describeInvalidUtf8(bytes: Uint8Array, offset: number, column: number): string {
  const byte = bytes[offset]!.toString(16).padStart(2, "0");
  return `not valid UTF-8: byte 0x${byte} at column ${column}; save the file as UTF-8 (the record was not indexed rather than altered)`;
}
