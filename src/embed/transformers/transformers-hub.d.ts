// Types for the one Transformers.js module kindred imports by path: its Hugging Face Hub code
// (src/utils/hub.js, which the package's entry point does not re-export).
declare module "@xenova/transformers/src/utils/hub.js" {
  export interface PretrainedOptions {
    quantized?: boolean;
    progress_callback?: ((progress: HubProgress) => void) | null;
    cache_dir?: string | null;
    local_files_only?: boolean;
    revision?: string;
  }
  export type HubProgress =
    | { status: "initiate" | "download" | "done"; name: string; file: string }
    | { status: "progress"; name: string; file: string; progress: number; loaded: number; total: number };
  /** The bytes of `filename` in a model repository or local directory; null when optional (`fatal` false) and absent. */
  export function getModelFile(pathOrRepoId: string, filename: string, fatal?: boolean, options?: PretrainedOptions): Promise<Uint8Array>;
}
