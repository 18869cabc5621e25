import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { sha256Base64Url } from "../core/content-hash.ts";
import { treeFile } from "../paths/tree-root.ts";

/** What a site sets once in the configuration and a page may override per box (attributes). */
export interface WidgetDefaults {
  /** Results asked for. */
  k: number;
  /** Fewer results than this after the floor: the box shows nothing. */
  minResults: number;
  /** The cosine floor (docs/http-api.md, "Choosing min_cosine"). */
  minCosine: number;
  heading: string;
  /** How far below the viewport a box starts loading (CSS margin). */
  lazyMargin: string;
}

const widgetDir = treeFile("widget/");

/**
 * The text of GET /widget.js: related-markup.js (its `export`s dropped) and kindred-widget.js in
 * one function scope with the site's defaults, so the browser runs the same markup code the
 * server renders fragments with. Built once at start-up; `etag` and `gzipBytes` describe it.
 */
export function buildWidgetScript(defaults: WidgetDefaults): { source: string; etag: string; gzipBytes: number } {
  // Whole-line comments are for people reading the source, not for every page view.
  const dropComments = (text: string) => text.replace(/^\s*\/\/.*\n/gm, "").replace(/^\s*\/\*\*[\s\S]*?\*\/\n/gm, "");
  const markup = dropComments(readFileSync(new URL("related-markup.js", widgetDir), "utf8")).replace(/^export /gm, "");
  const widget = dropComments(readFileSync(new URL("kindred-widget.js", widgetDir), "utf8"));
  const source = `/*! kindred related-articles widget */\n(function (siteDefaults) {\n"use strict";\n${markup}\n${widget}\n})(${JSON.stringify(defaults)});\n`;
  return {
    source,
    etag: `"${sha256Base64Url(source).slice(0, 27)}"`,
    gzipBytes: gzipSync(source, { level: 9 }).length,
  };
}
