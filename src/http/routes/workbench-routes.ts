import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { treeFile } from "../../paths/tree-root.ts";
import { entityTagOf, matchesIfNoneMatch } from "../http-caching.ts";

/** The workbench's files, shipped in the package (http/workbench/) and read once. */
const assets = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/workbench/workbench.js": { file: "workbench.js", type: "text/javascript; charset=utf-8" },
  "/workbench/workbench.css": { file: "workbench.css", type: "text/css; charset=utf-8" },
} as const;

/**
 * The analysts' workbench (docs/analysts.md) at `/`: a static page over the public JSON API (it asks
 * for a read key itself when the service answers 401), so it adds no ranking and no endpoint.
 * Served from the package, nothing from a CDN: the content security policy allows only this origin.
 */
export function workbenchRoutes() {
  const app = new Hono();
  const directory = treeFile("http/workbench/");
  for (const [path, { file, type }] of Object.entries(assets)) {
    const body = readFileSync(new URL(file, directory));
    const etag = entityTagOf(body.toString("utf8"));
    app.get(path, (c) => {
      const headers = {
        "content-type": type,
        etag,
        "cache-control": "no-cache",
        "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        "x-content-type-options": "nosniff",
      };
      if (matchesIfNoneMatch(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
      return c.body(body, 200, headers);
    });
  }
  return app;
}
