// Part of `npm ci` (postinstall): rebuilds hnswlib-node's addon for this machine's processor.
//
// Why: hnswlib chooses its AVX / AVX-512 inner products at run time, but only among the kernels it
// was compiled with, and node-gyp compiles for the baseline x86-64 (SSE), so every distance of a
// graph search ran 128 bits at a time. hnswlib's own Python package is compiled with -march=native
// for the same reason. The addon is built in a temporary copy and replaces the installed one only
// once it has loaded and answered a search; any failure keeps the portable build and says why
// (npm ci never fails here). KINDRED_PORTABLE_NATIVE=1 keeps the portable build on purpose: an
// install copied to a machine with an older processor would stop on an illegal instruction.
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const flags = "-march=native";
const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const say = (message) => process.stdout.write(`kindred: ${message}\n`);

function nodeGypPath() {
  // npm names its own node-gyp to lifecycle scripts; otherwise the one beside npm.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ];
  return candidates.find((candidate) => candidate !== undefined && candidate !== "" && existsSync(candidate)) ?? null;
}

function skipReason() {
  if (/^(1|true|yes)$/i.test(process.env.KINDRED_PORTABLE_NATIVE ?? "")) return "KINDRED_PORTABLE_NATIVE is set";
  if (process.arch !== "x64") return `hnswlib has no kernels beyond the baseline on ${process.arch}`;
  if (process.platform === "win32") return "not on Windows (MSVC takes other flags)";
  return null;
}

/** Loads an addon in a child process and runs a small search with it: a bad build fails here, not in kindred. */
function answersASearch(addonPath) {
  const probe = `
    const { HierarchicalNSW } = require(${JSON.stringify(addonPath)});
    const unit = (label) => {
      const vector = Array.from({ length: 64 }, (_, i) => Math.sin(label * 7 + i * (label % 5 + 1)));
      const norm = Math.hypot(...vector);
      return vector.map((x) => x / norm);
    };
    const index = new HierarchicalNSW("ip", 64);
    index.initIndex(200);
    for (let label = 0; label < 200; label++) index.addPoint(unit(label), label);
    const { neighbors } = index.searchKnn(unit(42), 5);
    if (neighbors[0] !== 42) throw new Error("nearest of point 42 is " + neighbors[0]);`;
  return spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
}

function main() {
  const reason = skipReason();
  if (reason !== null) return say(`hnswlib-node keeps its portable build (${reason})`);
  const nodeGyp = nodeGypPath();
  if (nodeGyp === null) return say("hnswlib-node keeps its portable build (node-gyp not found)");
  const packageDir = dirname(createRequire(join(projectRoot, "package.json")).resolve("hnswlib-node/package.json"));
  const workDir = mkdtempSync(join(tmpdir(), "kindred-hnswlib-"));
  try {
    const buildDir = join(workDir, "hnswlib-node");
    cpSync(packageDir, buildDir, { recursive: true, filter: (source) => !source.startsWith(join(packageDir, "build")) });
    const build = spawnSync(process.execPath, [nodeGyp, "rebuild"], {
      cwd: buildDir,
      encoding: "utf8",
      // NODE_PATH: binding.gyp asks node-addon-api for its headers from the copy's directory.
      env: { ...process.env, CXXFLAGS: `${process.env.CXXFLAGS ?? ""} ${flags}`.trim(), NODE_PATH: join(projectRoot, "node_modules") },
    });
    const built = join(buildDir, "build", "Release", "addon.node");
    if (build.status !== 0 || !existsSync(built)) {
      return say(`hnswlib-node keeps its portable build (the ${flags} build failed):\n${(build.stderr || build.stdout || "").slice(-2000)}`);
    }
    const probe = answersASearch(built);
    if (probe.status !== 0) return say(`hnswlib-node keeps its portable build (the ${flags} build did not answer a search):\n${probe.stderr.slice(-2000)}`);
    const installed = join(packageDir, "build", "Release", "addon.node");
    // Copy then rename: the swap is atomic and replaces the file rather than writing through any hard link to it.
    copyFileSync(built, `${installed}.new`);
    renameSync(`${installed}.new`, installed);
    writeFileSync(join(packageDir, "build", "Release", "kindred-cpu-build.json"), `${JSON.stringify({ cxxflags: flags, node: process.version })}\n`);
    say(`hnswlib-node rebuilt for this processor (${flags})`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main();
