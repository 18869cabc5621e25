import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Writes all files into a temporary sibling directory, then swaps it in with renames, so a reader
 * never sees half a model (the converted bundled model, a model fetched from the Hub). An
 * existing directory that `isExistingCopyFine` accepts (checked just before the swap) is left in
 * place; a failure leaves the directory as it was and no temporary files behind.
 *
 * @example
 *   await writeDirectoryAtomically("models/org/name", { "config.json": "{}" }, async () => false);
 */
export async function writeDirectoryAtomically(
  directory: string,
  files: Record<string, string | Uint8Array>,
  isExistingCopyFine: () => Promise<boolean>,
): Promise<void> {
  const suffix = `${process.pid}-${Date.now()}`;
  const temporary = `${directory}.tmp-${suffix}`;
  const previous = `${directory}.old-${suffix}`;
  await rm(temporary, { recursive: true, force: true });
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(temporary, path)), { recursive: true });
      await writeFile(join(temporary, path), content);
    }
    await mkdir(dirname(directory), { recursive: true });
    if (await isExistingCopyFine()) return;
    const hadPrevious = await rename(directory, previous).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return false;
        throw error;
      },
    );
    await rename(temporary, directory).catch(async (error: NodeJS.ErrnoException) => {
      const lostRace = (error.code === "ENOTEMPTY" || error.code === "EEXIST") && (await isExistingCopyFine());
      if (!lostRace) throw error;
    });
    if (hadPrevious) await rm(previous, { recursive: true, force: true });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
