// The related list's HTML, in one place for both sides: the server renders the fragment with it
// (GET /v1/articles/{id}/related.html) and /widget.js carries this same file, so the widget's
// box and the fragment are the same markup. Plain JavaScript without imports because it is
// sent to browsers as it is (http/widget-script.ts strips the `export` keywords).

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** "2025-03-05" or a date-time -> "5 March 2025" (UTC), the same on the server and in every browser. */
export function formatPublished(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
  if (match === null) return "";
  return `${Number(match[3])} ${months[Number(match[2]) - 1]} ${match[1]}`;
}

/** Only http(s) links and images: a stored URL never becomes a javascript: link. */
function safeHttpUrl(value) {
  return typeof value === "string" && /^https?:\/\//i.test(value) ? value : null;
}

/**
 * The stylesheet of the box: every colour, size and font is a CSS custom property that a site
 * sets on any ancestor (or on `.kindred-related`), with a fallback that suits a plain page.
 */
export const relatedStyles =
  ".kindred-related{font:var(--kindred-font,inherit);color:var(--kindred-color,inherit);background:var(--kindred-background,transparent);" +
  "border-top:var(--kindred-border,1px solid #ddd);padding:var(--kindred-padding,0.75em 0);margin:var(--kindred-margin,1.5em 0)}" +
  ".kindred-related__heading{font-size:var(--kindred-heading-size,1.1em);margin:0 0 0.5em}" +
  ".kindred-related__list{list-style:none;margin:0;padding:0;display:grid;gap:var(--kindred-gap,0.75em)}" +
  ".kindred-related__item{display:flex;gap:var(--kindred-gap,0.75em);align-items:flex-start}" +
  ".kindred-related__image{width:var(--kindred-image-size,4.5em);height:var(--kindred-image-size,4.5em);object-fit:cover;flex:none;border-radius:var(--kindred-radius,4px)}" +
  ".kindred-related__link{color:var(--kindred-link-color,#1a0dab);text-decoration:none;font-weight:var(--kindred-title-weight,600)}" +
  ".kindred-related__link:hover,.kindred-related__link:focus{text-decoration:underline}" +
  ".kindred-related__link:focus-visible{outline:var(--kindred-focus-outline,2px solid currentColor);outline-offset:2px}" +
  ".kindred-related__meta{display:block;font-size:var(--kindred-meta-size,0.85em);color:var(--kindred-muted-color,#666);margin-top:0.2em}" +
  ".kindred-related__section{text-transform:var(--kindred-section-transform,uppercase);letter-spacing:0.03em;margin-right:0.5em}";

/**
 * The box for a related list as served by the JSON API (`results`, `recommendation_id`), or ""
 * when fewer than `minResults` results are left: a page shows nothing rather than filler.
 * Each item carries its position and article id for the impression and click counts.
 */
export function renderRelatedMarkup(list, options) {
  const results = list.results || [];
  if (results.length === 0 || results.length < options.minResults) return "";
  const heading = options.heading || "Related";
  const items = results.map((result, index) => {
    const href = safeHttpUrl(result.url);
    const image = safeHttpUrl(result.image_url);
    const title = escapeHtml(result.title || result.id);
    const link =
      href === null ? `<span class="kindred-related__title">${title}</span>` : `<a class="kindred-related__link" href="${escapeHtml(href)}">${title}</a>`;
    const meta =
      (result.section ? `<span class="kindred-related__section">${escapeHtml(result.section)}</span>` : "") +
      (result.published_at ? `<time datetime="${escapeHtml(result.published_at)}">${escapeHtml(formatPublished(result.published_at))}</time>` : "");
    return (
      '<li class="kindred-related__item" data-position="' +
      (index + 1) +
      '" data-article="' +
      escapeHtml(result.id) +
      '">' +
      (image === null ? "" : `<img class="kindred-related__image" src="${escapeHtml(image)}" alt="" loading="lazy">`) +
      "<div>" +
      link +
      (meta === "" ? "" : `<span class="kindred-related__meta">${meta}</span>`) +
      "</div></li>"
    );
  });
  return (
    "<style>" +
    relatedStyles +
    "</style>" +
    '<section class="kindred-related" aria-label="' +
    escapeHtml(heading) +
    '" data-recommendation-id="' +
    escapeHtml(list.recommendation_id || "") +
    '">' +
    '<h2 class="kindred-related__heading">' +
    escapeHtml(heading) +
    "</h2>" +
    '<ol class="kindred-related__list">' +
    items.join("") +
    "</ol></section>"
  );
}
