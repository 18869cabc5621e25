import { createRequire } from "node:module";

type Convert = typeof import("html-to-text").convert;

/**
 * html-to-text and its parser are loaded on the first HTML record, through the package's
 * CommonJS build (the same code as its ES module): a feed of plain text, and every re-index
 * of one, never loads them, and loading them was a good part of starting `kindred index`.
 */
let convert: Convert | null = null;

/**
 * Reduces article HTML to the text a reader sees. html-to-text handles entities, block
 * elements and whitespace better than a regex would; links keep their text, not their href,
 * and images, scripts and styles are dropped because they carry no relatedness signal.
 */
export function htmlToPlainText(html: string): string {
  convert ??= (createRequire(import.meta.url)("html-to-text") as { convert: Convert }).convert;
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
      { selector: "script", format: "skip" },
      { selector: "style", format: "skip" },
      { selector: "h1", options: { uppercase: false } },
      { selector: "h2", options: { uppercase: false } },
      { selector: "h3", options: { uppercase: false } },
      { selector: "h4", options: { uppercase: false } },
      { selector: "h5", options: { uppercase: false } },
      { selector: "h6", options: { uppercase: false } },
      { selector: "table", format: "dataTable" },
    ],
  })
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
