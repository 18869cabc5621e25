import { describe, expect, it } from "vitest";
import { quantizeColumnsInt8 } from "./quantize-weights.ts";

describe("quantizeColumnsInt8", () => {
  it("scales each column by its own largest magnitude and rounds to [-127, 127]", () => {
    // [2 rows, 2 columns]: column 0 holds 0.5 and 1, column 1 holds -2 and 4.
    const { values, scales } = quantizeColumnsInt8(new Float32Array([0.5, -2, 1, 4]), 2, 2);
    expect(Array.from(scales)).toEqual([Math.fround(1 / 127), Math.fround(4 / 127)]);
    expect(Array.from(values)).toEqual([64, -64, 127, 127]);
  });

  it("reconstructs every weight within half a step of its column's scale", () => {
    const kernel = Float32Array.from({ length: 64 * 8 }, (_, index) => Math.sin(index * 12.9898) * (1 + (index % 8)));
    const { values, scales } = quantizeColumnsInt8(kernel, 64, 8);
    kernel.forEach((weight, index) => {
      const scale = scales[index % 8]!;
      expect(Math.abs(values[index]! * scale - weight)).toBeLessThanOrEqual(scale / 2 + 1e-6);
    });
  });

  it("keeps an all-zero column at zero with a usable scale, and refuses a kernel of the wrong size", () => {
    const { values, scales } = quantizeColumnsInt8(new Float32Array([0, 1, 0, -1]), 2, 2);
    expect(scales[0]).toBe(1);
    expect(Array.from(values)).toEqual([0, 127, 0, -127]);
    expect(() => quantizeColumnsInt8(new Float32Array(3), 2, 2)).toThrow(/expected 2 x 2/);
  });
});
