/**
 * The slice of the WebAssembly JavaScript API that the SIMD kernel (simd-dots-kernel.ts) uses:
 * the project compiles against the ES and Node libraries, and the API's types live in the DOM
 * library, which would bring browser globals into every module.
 */
declare namespace WebAssembly {
  // biome-ignore lint/suspicious/noEmptyInterface: an opaque compiled module (esbuild's types declare the same empty interface)
  interface Module {}
  var Module: { new (bytes: Uint8Array): Module };
  interface Memory {
    readonly buffer: ArrayBuffer;
  }
  var Memory: { new (descriptor: { initial: number; maximum?: number }): Memory };
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  var Instance: { new (module: Module, imports: Record<string, Record<string, unknown>>): Instance };
  function validate(bytes: Uint8Array): boolean;
}
