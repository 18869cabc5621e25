import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { useTempDir } from "../support/temp-dir.ts";

const script = new URL("../../scripts/vendor-zod.mjs", import.meta.url).pathname;

/** Runs the build's vendoring step on a small compiled tree; returns its exit status and output. */
function vendor(dist: string): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync(process.execPath, [script, dist], { encoding: "utf8", stdio: "pipe" }) };
  } catch (error) {
    const failed = error as { status: number; stderr: string };
    return { status: failed.status, output: failed.stderr };
  }
}

describe("the build's one-module zod (scripts/vendor-zod.mjs)", () => {
  it("points every compiled import of zod, at any depth, at the one bundled copy, which validates as zod does", async () => {
    const dist = join(useTempDir(), "dist");
    mkdirSync(join(dist, "deep", "er"), { recursive: true });
    writeFileSync(join(dist, "top.js"), 'import { z } from "zod";\nexport const name = z.string().min(2);\n');
    writeFileSync(
      join(dist, "deep", "er", "use.js"),
      'import { z } from "zod";\nimport { name } from "../../top.js";\nexport const record = z.object({ name });\nexport const same = z;\n',
    );
    expect(vendor(dist)).toMatchObject({ status: 0 });
    expect(readFileSync(join(dist, "top.js"), "utf8")).toContain('from "./vendor/zod.js"');
    expect(readFileSync(join(dist, "deep", "er", "use.js"), "utf8")).toContain('from "../../vendor/zod.js"');
    const used = await import(pathToFileURL(join(dist, "deep", "er", "use.js")).href);
    const vendored = await import(pathToFileURL(join(dist, "vendor", "zod.js")).href);
    // One copy: the schema from the other file composes, and both files hold the same module.
    expect(used.same).toBe(vendored.z);
    expect(used.record.safeParse({ name: "ok" }).success).toBe(true);
    expect(used.record.safeParse({ name: "x" }).error?.issues[0]).toMatchObject({ path: ["name"], code: "too_small" });
    // Running it again (a second build over the same tree) changes nothing.
    const before = readFileSync(join(dist, "top.js"), "utf8");
    expect(vendor(dist)).toMatchObject({ status: 0 });
    expect(readFileSync(join(dist, "top.js"), "utf8")).toBe(before);
  });

  it("refuses an import of another zod entry point, which would load a second copy", () => {
    const dist = join(useTempDir(), "dist");
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(dist, "a.js"), 'import { z } from "zod";\nexport const a = z.string();\n');
    writeFileSync(join(dist, "mini.js"), 'import * as zm from "zod/mini";\nexport const b = zm.string();\n');
    const run = vendor(dist);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/mini\.js: from "zod\/mini": only `import \.\.\. from "zod"` is vendored/);
  });
});
