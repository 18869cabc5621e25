/**
 * Query parameters that only say how a reader arrived (campaign and click trackers), never which
 * page it is: two URLs differing only in these are the same article. `utm_*` is matched as a
 * prefix; the rest by name (Google, Meta, Microsoft, Mailchimp, HubSpot, Yandex, Instagram,
 * Twitter/X, Matomo and common share-button parameters).
 */
const trackingPrefixes = ["utm_", "mtm_", "pk_", "hsa_"];
const trackingNames = new Set([
  "fbclid",
  "gclid",
  "gclsrc",
  "dclid",
  "gbraid",
  "wbraid",
  "msclkid",
  "yclid",
  "twclid",
  "ttclid",
  "li_fat_id",
  "igshid",
  "igsh",
  "mc_cid",
  "mc_eid",
  "_ga",
  "_gl",
  "_hsenc",
  "_hsmi",
  "__hssc",
  "__hstc",
  "__hsfp",
  "hsctatracking",
  "mkt_tok",
  "oly_anon_id",
  "oly_enc_id",
  "vero_id",
  "vero_conv",
  "wt_mc",
  "wt.mc_id",
  "at_medium",
  "at_campaign",
  "ref_src",
  "ref_url",
  "s_cid",
  "cmpid",
  "smid",
  "ncid",
  "sr_share",
]);

/** Ports a scheme implies (RFC 3986 §6.2.3: an explicit default port is the same URL). */
const defaultPorts: Record<string, string> = { "http:": "80", "https:": "443" };

function isTrackingParameter(name: string): boolean {
  const lower = name.toLowerCase();
  return trackingNames.has(lower) || trackingPrefixes.some((prefix) => lower.startsWith(prefix));
}

/**
 * The form of an article URL that kindred stores and looks up, so that the URL a page reports
 * finds the article whatever tracking, case or slash differences it carries: scheme and host in
 * lower case (RFC 3986 §6.2.2.1; the WHATWG URL parser also turns an IDN host into punycode and
 * normalises percent-encoding), no default port, no fragment (it never reaches the server), no
 * tracking parameters, the remaining parameters in a stable order (same name kept in its
 * original order), no trailing slash on a path other than `/`, and no empty `?`. Path case is
 * kept: servers may treat `/A` and `/a` as different pages. Returns null for anything that is
 * not an absolute http(s) URL.
 *
 * @example
 *   normalizeArticleUrl("HTTPS://News.Example:443/world/story/?utm_source=x&b=2&a=1#top")
 *   // => "https://news.example/world/story?a=1&b=2"
 */
export function normalizeArticleUrl(input: string): string | null {
  const url = parseArticleUrl(input);
  if (url === null) return null;
  if (url.port === defaultPorts[url.protocol]) url.port = "";
  url.hash = "";
  url.username = "";
  url.password = "";
  const kept = [...url.searchParams.entries()].filter(([name]) => !isTrackingParameter(name));
  // A stable sort by name: the order of parameters does not change which article a page is.
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  url.search = "";
  for (const [name, value] of kept) url.searchParams.append(name, value);
  if (url.pathname.length > 1 && url.pathname.endsWith("/")) url.pathname = url.pathname.replace(/\/+$/, "") || "/";
  let normalized = url.toString();
  // URL keeps a bare "?" when every parameter was removed after it was parsed with one.
  if (normalized.endsWith("?")) normalized = normalized.slice(0, -1);
  return normalized;
}

/**
 * Whether `normalizeArticleUrl(input)` is a URL rather than null, without normalising it: what
 * validating a record asks, for every record of a feed.
 */
export function isArticleUrl(input: string): boolean {
  return parseArticleUrl(input) !== null;
}

/** The absolute http(s) URL `input` is, or null. */
function parseArticleUrl(input: string): URL | null {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.hostname === "") return null;
  return url;
}
