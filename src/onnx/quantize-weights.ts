/**
 * Symmetric int8 quantisation of a row-major [inputSize, outputSize] weight matrix, one scale
 * per output column (per-column scales keep a column of small weights from being rounded to
 * zero by a neighbour with large ones). Zero point 0, so `weight ~= int8 * scale[column]`; the
 * range is [-127, 127] so negation never overflows. Pure.
 *
 * This is the weight half of dynamic quantisation (onnxruntime's DynamicQuantizeMatMul): the
 * activations are quantised at run time, per batch.
 *
 * @example
 *   const { values, scales } = quantizeColumnsInt8(new Float32Array([0.5, -2, 1, 4]), 2, 2);
 *   // scales = [1/127, 4/127]; values = [64, -64, 127, 127]
 */
export function quantizeColumnsInt8(kernel: Float32Array, inputSize: number, outputSize: number): QuantizedColumns {
  if (kernel.length !== inputSize * outputSize)
    throw new Error(`quantizeColumnsInt8: kernel has ${kernel.length} values, expected ${inputSize} x ${outputSize}`);
  const scales = new Float32Array(outputSize);
  for (let row = 0; row < inputSize; row++) {
    for (let column = 0; column < outputSize; column++) {
      const magnitude = Math.abs(kernel[row * outputSize + column]!);
      if (magnitude > scales[column]!) scales[column] = magnitude;
    }
  }
  // An all-zero column keeps scale 1 (any scale reproduces zeros; 0 would divide by zero).
  for (let column = 0; column < outputSize; column++) scales[column] = scales[column]! === 0 ? 1 : scales[column]! / INT8_LIMIT;
  const values = new Int8Array(kernel.length);
  for (let row = 0; row < inputSize; row++) {
    for (let column = 0; column < outputSize; column++) {
      const index = row * outputSize + column;
      values[index] = Math.max(-INT8_LIMIT, Math.min(INT8_LIMIT, Math.round(kernel[index]! / scales[column]!)));
    }
  }
  return { values, scales };
}

export interface QuantizedColumns {
  /** Row-major int8 weights, same layout as the float kernel. */
  values: Int8Array;
  /** One float scale per output column. */
  scales: Float32Array;
}

const INT8_LIMIT = 127;
