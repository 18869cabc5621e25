import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { eld } from "eld/small";
import { describe, expect, it } from "vitest";
import { vendoredDetector } from "../../src/articles/detect-language.ts";
import { readDemoSlice } from "../support/demo-slice.ts";
import { useTempDir } from "../support/temp-dir.ts";

describe("ELD's small database vendored as JSON (scripts/vendor-eld.mjs)", () => {
  it("gives the detector the answers ELD's own module gives, reliability included", async () => {
    const dist = useTempDir();
    execFileSync(process.execPath, ["scripts/vendor-eld.mjs", dist]);
    // The test runner has no import.meta.resolve: ELD's entry point is given by its path.
    const entry = pathToFileURL(join(process.cwd(), "node_modules", "eld", "src", "entries", "static.small.js")).href;
    const vendored = vendoredDetector(join(dist, "vendor", "eld-small.json"), entry);
    expect(vendored).not.toBeNull();
    const demo = await readDemoSlice("2025-03-01", "2025-03-20");
    const texts = [
      ...demo.map((record) => `${record.title}\n${record.body ?? record.text ?? ""}`.slice(0, 1_000)),
      "Ein schweres Erdbeben hat die Westküste Japans erschüttert.",
      "Le gouvernement a annoncé de nouvelles mesures contre l'inflation.",
      "El presidente anunció un nuevo plan de infraestructura para el país.",
      "Правительство объявило о новых мерах поддержки экономики.",
      "政府は新しい経済対策を発表した。",
      "国务院宣布了新的经济刺激措施。",
      "أعلنت الحكومة عن إجراءات اقتصادية جديدة.",
      "Η κυβέρνηση ανακοίνωσε νέα οικονομικά μέτρα.",
      "Hegseth",
      "",
      "12 34 56",
    ];
    expect(texts.length).toBeGreaterThan(200);
    for (const text of texts) {
      const [ours, theirs] = [vendored!.detect(text), eld.detect(text)];
      expect([ours.language, ours.isReliable()], text.slice(0, 60)).toEqual([theirs.language, theirs.isReliable()]);
    }
  });
});
