import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tinyBertModelId } from "../../scripts/tiny-bert/build-tiny-bert.ts";
import { useTempDir } from "./temp-dir.ts";

export { tinyBertModelId };

/** The committed test models (scripts/make-tiny-bert-fixture.ts writes them). */
export const fixtureModelsDir = new URL("../fixtures/models/", import.meta.url).pathname;

/** The project's own models directory, where the bundled model is converted on first use. */
export const projectModelsDir = new URL("../../models/", import.meta.url).pathname;

/**
 * A models directory holding the bundled model (linked to the project's conversion) and the
 * tiny BERT fixture (linked), as a user's models/ would after `kindred model fetch`.
 */
export function modelsDirWithFixture(): string {
  const modelsDir = join(useTempDir("kindred-models-"), "models");
  for (const [id, target] of [
    ["google/use-lite", join(projectModelsDir, "google", "use-lite")],
    [tinyBertModelId, join(fixtureModelsDir, tinyBertModelId)],
  ] as const) {
    mkdirSync(join(modelsDir, id.split("/")[0]!), { recursive: true });
    symlinkSync(target, join(modelsDir, id));
  }
  return modelsDir;
}
