/**
 * The root of the code tree this module runs in: src/ when the sources run (tsx: the tests,
 * scripts), dist/ when the build runs, both tsc's tree (dist/paths/tree-root.js) and the
 * bundle (scripts/bundle-cli.mjs), whose chunks sit in dist/cli-bundle/, at the same depth
 * below dist/ as this module's directory. Code that reads a file of the tree (the widget, the
 * workbench, vendored data, a worker's entry) finds it from here: its own `import.meta.url`
 * would be a chunk's in the bundle, in another directory.
 *
 * @example
 *   readFileSync(treeFile("widget/kindred-widget.js"), "utf8");
 */
const treeRoot = new URL("../", import.meta.url);

/** Whether the TypeScript sources run: their modules are `.ts` files, which a worker thread loads only with tsx. */
export const runsSources = import.meta.url.endsWith(".ts");

/** The URL of `path` (relative, `/`-separated) in the tree; `../package.json` is the package's manifest. */
export function treeFile(path: string): URL {
  return new URL(path, treeRoot);
}
