/**
 * A minimal Protocol Buffers encoder: just the wire types ONNX needs (varint, 32-bit, length-
 * delimited). Messages are built bottom-up; large byte payloads (weights) are kept by reference
 * and copied once, in `finish()`, so a 30 MB model costs one allocation of its final size.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/
 *
 * @example
 *   const inner = new ProtobufWriter().writeString(1, "x");
 *   const bytes = new ProtobufWriter().writeVarint(1, 7).writeMessage(2, inner).finish();
 */
export class ProtobufWriter {
  private readonly chunks: Uint8Array[] = [];
  private byteLength = 0;

  /** Total encoded size so far, in bytes. */
  get length(): number {
    return this.byteLength;
  }

  /** Writes a varint field (int32, int64, enum, bool). Negative numbers take 10 bytes, as in protobuf. */
  writeVarint(fieldNumber: number, value: number | bigint): this {
    this.pushTag(fieldNumber, WIRE_VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  /** Writes a `float` field (wire type 5, little-endian IEEE 754 single). */
  writeFloat(fieldNumber: number, value: number): this {
    this.pushTag(fieldNumber, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  writeString(fieldNumber: number, value: string): this {
    return this.writeBytes(fieldNumber, textEncoder.encode(value));
  }

  /** Writes a bytes field; the array is referenced, not copied, until `finish()`. */
  writeBytes(fieldNumber: number, value: Uint8Array): this {
    this.pushTag(fieldNumber, WIRE_LENGTH_DELIMITED);
    this.push(encodeVarint(value.length));
    if (value.length > 0) this.push(value);
    return this;
  }

  /** Writes an embedded message; the child's chunks are adopted, so it must not be reused. */
  writeMessage(fieldNumber: number, message: ProtobufWriter): this {
    this.pushTag(fieldNumber, WIRE_LENGTH_DELIMITED);
    this.push(encodeVarint(message.byteLength));
    for (const chunk of message.chunks) this.push(chunk);
    return this;
  }

  /** Concatenates everything written into one buffer. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private pushTag(fieldNumber: number, wireType: number): void {
    if (!Number.isInteger(fieldNumber) || fieldNumber < 1) throw new Error(`invalid protobuf field number ${fieldNumber}`);
    this.push(encodeVarint(fieldNumber * 8 + wireType));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.byteLength += chunk.length;
  }
}

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

/** Encodes an integer as a base-128 varint; negatives as their 64-bit two's complement. */
export function encodeVarint(value: number | bigint): Uint8Array {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`varint needs a safe integer, got ${value}`);
    if (value >= 0 && value < 2 ** 31) {
      // Fast path for the common case: tags, lengths, small dims.
      const bytes: number[] = [];
      let rest = value;
      while (rest >= 0x80) {
        bytes.push((rest & 0x7f) | 0x80);
        rest >>>= 7;
      }
      bytes.push(rest);
      return Uint8Array.from(bytes);
    }
  }
  let rest = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Uint8Array.from(bytes);
}
