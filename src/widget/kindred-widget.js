// The body of GET /widget.js, wrapped by http/widget-script.ts in a function that receives
// `siteDefaults` (from the configuration) and `renderRelatedMarkup` (related-markup.js).
// No dependencies, no cookies, no storage: it fetches the list, renders it, and reports which
// positions were shown and clicked with navigator.sendBeacon.

var script = document.currentScript;
// kindred's origin: where this script was loaded from (a page embeds it from kindred's host).
var apiBase = script?.src ? new URL(script.src, location.href).origin : location.origin;

function attribute(element, name) {
  // <kindred-related k="5"> and <div data-kindred-related data-k="5"> both work.
  var value = element.getAttribute(name);
  return value === null ? element.getAttribute(`data-${name}`) : value;
}

function numberAttribute(element, name, fallback) {
  var value = attribute(element, name);
  return value === null || value === "" || Number.isNaN(Number(value)) ? fallback : Number(value);
}

function listUrl(element) {
  var id = attribute(element, "article-id");
  var k = numberAttribute(element, "k", siteDefaults.k);
  var minCosine = numberAttribute(element, "min-cosine", siteDefaults.minCosine);
  var query = `k=${encodeURIComponent(k)}&min_cosine=${encodeURIComponent(minCosine)}`;
  var exclude = attribute(element, "exclude");
  if (exclude) query += `&exclude=${encodeURIComponent(exclude)}`;
  if (id) return `${apiBase}/v1/articles/${encodeURIComponent(id)}/related?${query}`;
  var url = attribute(element, "url") || location.href;
  return `${apiBase}/v1/related?url=${encodeURIComponent(url)}&${query}`;
}

function sendEvents(recommendationId, placement, events) {
  var body = JSON.stringify({ recommendation_id: recommendationId, placement: placement, events: events });
  // A string body is sent as text/plain, which needs no CORS preflight (a JSON Blob would).
  if (navigator.sendBeacon?.(`${apiBase}/v1/events`, body)) return;
  fetch(`${apiBase}/v1/events`, { method: "POST", body: body, keepalive: true, mode: "cors", credentials: "omit" }).catch(() => {});
}

function whenVisible(element, margin, callback) {
  if (!("IntersectionObserver" in window)) return callback();
  var observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        observer.disconnect();
        callback();
      }
    },
    { rootMargin: margin },
  );
  observer.observe(element);
}

function render(element, list) {
  var placement = attribute(element, "placement") || "widget";
  var markup = renderRelatedMarkup(list, {
    minResults: numberAttribute(element, "min-results", siteDefaults.minResults),
    heading: attribute(element, "heading") || siteDefaults.heading,
  });
  element.innerHTML = markup;
  if (markup === "") {
    element.hidden = true;
    return;
  }
  var items = element.querySelectorAll(".kindred-related__item");
  // An impression is the box on screen, not merely in the page.
  whenVisible(element, "0px", () => {
    var shown = [];
    items.forEach((item) => {
      shown.push({ type: "impression", position: Number(item.getAttribute("data-position")), article: item.getAttribute("data-article") });
    });
    sendEvents(list.recommendation_id, placement, shown);
  });
  element.addEventListener("click", (event) => {
    var link = event.target.closest?.(".kindred-related__link");
    if (!link) return;
    var item = link.closest(".kindred-related__item");
    sendEvents(list.recommendation_id, placement, [
      { type: "click", position: Number(item.getAttribute("data-position")), article: item.getAttribute("data-article") },
    ]);
  });
}

function load(element) {
  if (element.kindredLoading) return;
  element.kindredLoading = true;
  // Fetch when the box is about to scroll into view, not with the page.
  whenVisible(element, siteDefaults.lazyMargin, () => {
    fetch(listUrl(element), { credentials: "omit" })
      .then((response) => {
        if (!response.ok) throw new Error(`kindred: ${response.status} for ${response.url}`);
        return response.json();
      })
      .then((list) => {
        render(element, list);
      })
      .catch((error) => {
        element.hidden = true;
        if (window.console) console.debug(error);
      });
  });
}

if (window.customElements && !customElements.get("kindred-related")) {
  customElements.define(
    "kindred-related",
    class extends HTMLElement {
      connectedCallback() {
        load(this);
      }
    },
  );
}

// Boxes already in the page load here too: the custom element's upgrade does not reach
// elements of a document written with document.write (seen in Chromium), and load runs once.
function loadDataElements() {
  document.querySelectorAll("kindred-related, [data-kindred-related]").forEach(load);
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", loadDataElements);
else loadDataElements();
