// The kindred workbench: a page over the same JSON API the widgets and scripts use (no ranking
// here). Every view lives in the URL's query string, so a reload or a shared link shows it again.
const $ = (selector) => document.querySelector(selector);
const form = $("#search");
const fields = ["q", "topics", "exclude_topics", "since", "until", "exclude", "mode", "k", "min_cosine"];
const partNames = ["dense", "lexical", "proximity", "topics", "boost", "recency", "neighbours"];

/** What is on screen: the last list and story, and explanations fetched on demand. */
const view = { results: [], answer: null, explanations: new Map(), explained: new Set(), story: null, storyId: null };

// ---- view state <-> URL -------------------------------------------------------------------
function readState() {
  const params = new URLSearchParams(location.search);
  return {
    by: params.get("by") ?? "text",
    ...Object.fromEntries(fields.map((name) => [name, params.get(name) ?? ""])),
    story: params.get("story") ?? "",
    story_since: params.get("story_since") ?? "",
    why: (params.get("why") ?? "").split(",").filter(Boolean),
  };
}

function formState() {
  const state = { by: form.elements.by.value };
  for (const name of fields) state[name] = form.elements[name].value.trim();
  state.story = view.storyId ?? "";
  state.story_since = $("#story-since").value;
  state.why = [...view.explained];
  return state;
}

function writeState(state, push) {
  const params = new URLSearchParams();
  params.set("by", state.by);
  for (const name of fields)
    if (state[name] !== "" && !(name === "mode" && state[name] === "hybrid") && !(name === "k" && state[name] === "10")) params.set(name, state[name]);
  if (state.story) params.set("story", state.story);
  if (state.story && state.story_since) params.set("story_since", state.story_since);
  if (state.why.length > 0) params.set("why", state.why.join(","));
  const url = `${location.pathname}?${params}`;
  if (url !== `${location.pathname}${location.search}`) history[push ? "pushState" : "replaceState"](null, "", url);
}

function fillForm(state) {
  for (const radio of form.elements.by) radio.checked = radio.value === state.by;
  for (const name of fields) form.elements[name].value = state[name] || (name === "mode" ? "hybrid" : name === "k" ? "10" : "");
  $("#story-since").value = state.story_since;
  if (["topics", "exclude_topics", "since", "until", "exclude", "min_cosine"].some((name) => state[name]) || (state.mode !== "" && state.mode !== "hybrid"))
    $("#filters").open = true;
  updatePlaceholder();
}

function updatePlaceholder() {
  const by = form.elements.by.value;
  const q = $("#q");
  q.placeholder =
    by === "text"
      ? "Paste a headline, a paragraph or a draft…"
      : by === "id"
        ? "An indexed article id, e.g. wcep-2025-03-02-01055"
        : "The article's URL, e.g. https://news.example/2025/03/cyber";
  q.rows = by === "text" ? 2 : 1;
}

// ---- API ------------------------------------------------------------------------------------
async function api(path, init = {}) {
  const key = sessionStorage.getItem("kindred-key");
  const headers = { accept: "application/json", ...(init.headers ?? {}), ...(key ? { authorization: `Bearer ${key}` } : {}) };
  let response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch (error) {
    throw new Error(`kindred did not answer (${error.message}).`);
  }
  const body = await response.json().catch(() => null);
  if (response.status === 401 || response.status === 403) $("#keybox").hidden = false;
  if (!response.ok) {
    const detail = body?.detail ?? `${response.status} ${response.statusText}`;
    const error = new Error(response.status === 404 && body?.code === "route_not_found" ? `This kindred does not offer that search yet (${detail})` : detail);
    error.status = response.status;
    throw error;
  }
  return body;
}

function listQuery(state, explain) {
  const params = new URLSearchParams();
  params.set("k", state.k || "10");
  for (const name of ["topics", "exclude_topics", "since", "until", "exclude", "min_cosine"]) if (state[name]) params.set(name, state[name]);
  if (state.mode && state.mode !== "hybrid") params.set("mode", state.mode);
  if (explain) params.set("explain", "true");
  return params;
}

function fetchList(state, explain) {
  if (state.by === "id") return api(`/v1/articles/${encodeURIComponent(state.q)}/related?${listQuery(state, explain)}`);
  if (state.by === "url") {
    const params = listQuery(state, explain);
    params.set("url", state.q);
    return api(`/v1/related?${params}`);
  }
  const split = (value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  const body = {
    text: state.q,
    k: Number(state.k || 10),
    filters: {
      topics: split(state.topics),
      exclude_topics: split(state.exclude_topics),
      exclude: split(state.exclude),
      ...(state.since ? { since: state.since } : {}),
      ...(state.until ? { until: state.until } : {}),
    },
    ...(state.mode && state.mode !== "hybrid" ? { mode: state.mode } : {}),
    ...(state.min_cosine ? { min_cosine: Number(state.min_cosine) } : {}),
    ...(explain ? { explain: true } : {}),
  };
  return api("/v1/related", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

// ---- rendering ------------------------------------------------------------------------------
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    // Styles through the CSSOM: the page's content security policy forbids style attributes.
    else if (name === "style") for (const [property, setting] of Object.entries(value)) node.style.setProperty(property, setting);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function setStatus(text, isError = false) {
  const status = $("#status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function showWarnings(warnings) {
  const box = $("#warnings");
  box.replaceChildren(...(warnings ?? []).map((warning) => el("p", {}, `⚠ ${warning}`)));
  box.hidden = !warnings || warnings.length === 0;
}

const fmt = (value, places = 3) => (typeof value === "number" ? value.toFixed(places) : "");

function titleCell(item) {
  const title = item.url
    ? el("a", { href: item.url, target: "_blank", rel: "noopener noreferrer" }, item.title || item.id)
    : el("span", {}, item.title || item.id);
  return el("td", { class: "title" }, title, el("span", { class: "id" }, item.id));
}

function topicChips(topics, shared = []) {
  return topics.map((topic) =>
    el(
      "button",
      { type: "button", class: shared.includes(topic) ? "chip shared" : "chip", title: `Only articles about “${topic}”`, onclick: () => addTopicFilter(topic) },
      topic,
    ),
  );
}

function renderResults() {
  const { results, answer } = view;
  const tbody = $("#results tbody");
  tbody.replaceChildren();
  results.forEach((result, index) => {
    const explanation = view.explanations.get(result.id);
    const open = view.explained.has(result.id);
    const row = el(
      "tr",
      { class: open ? "explained" : "", "data-id": result.id },
      el("td", { class: "rank num" }, String(index + 1)),
      titleCell(result),
      el("td", { class: "date" }, (result.published_at ?? "").slice(0, 10)),
      el("td", { class: "topics" }, topicChips(result.topics ?? [], explanation?.shared_topics ?? [])),
      el("td", { class: "num score", "data-label": "score" }, fmt(result.score)),
      el("td", { class: "num cosine", "data-label": "cosine" }, fmt(result.cosine)),
      el(
        "td",
        { class: "actions" },
        el("button", { type: "button", class: "why", "aria-expanded": String(open), onclick: () => toggleExplanation(result.id) }, open ? "Hide why" : "Why?"),
        el("button", { type: "button", class: "open-story", onclick: () => openStory(result.id, true) }, "Story"),
        el("button", { type: "button", class: "more", title: "Articles related to this one", onclick: () => searchById(result.id) }, "Related"),
      ),
    );
    tbody.append(row);
    if (open && explanation) tbody.append(el("tr", { class: "explain", "data-for": result.id }, el("td", { colspan: "7" }, renderExplanation(explanation))));
  });
  const what = answer?.article ? `related to “${answer.article.title}”` : "for your text";
  $("#results-title").textContent = results.length === 0 ? "No related articles" : `${results.length} ${results.length === 1 ? "article" : "articles"} ${what}`;
  $("#results-section").hidden = false;
}

function renderExplanation(explanation) {
  const values = partNames.map((name) => explanation.parts[name] ?? 0);
  const scale = Math.max(
    1,
    ...view.results
      .map((result) => view.explanations.get(result.id))
      .filter(Boolean)
      .flatMap((e) => partNames.map((name) => Math.abs(e.parts[name] ?? 0))),
  );
  const bars = el("div", { class: "parts", role: "list", "aria-label": "Parts of the score" });
  partNames.forEach((name, index) => {
    const value = values[index];
    if (value === 0 && (name === "boost" || name === "recency" || name === "topics")) return;
    const width = `${(Math.abs(value) / scale) * 100}%`;
    bars.append(
      el("span", { role: "listitem" }, name),
      el("div", { class: "bar" }, el("span", { class: value < 0 ? "neg" : "", style: { left: "0", width, background: `var(--${name})` } })),
      el("span", { class: "v" }, fmt(value, 2)),
    );
  });
  const words = [];
  if (explanation.shared_terms?.length) words.push(el("div", {}, el("strong", {}, "Shared terms: "), explanation.shared_terms.join(", ")));
  if (explanation.shared_topics?.length) words.push(el("div", {}, el("strong", {}, "Shared topics: "), explanation.shared_topics.join(", ")));
  if (explanation.folded?.length) words.push(el("div", {}, el("strong", {}, "Copies folded in: "), explanation.folded.join(", ")));
  words.push(el("div", {}, `cosine ${fmt(explanation.cosine)} · BM25 ${fmt(explanation.bm25, 2)}`));
  return el("div", { class: "why-box" }, bars, el("div", { class: "why-words" }, words));
}

function renderStory() {
  const { story } = view;
  if (!story) {
    $("#story").hidden = true;
    return;
  }
  const article = { ...story.article, relation: "this" };
  const items = [...story.thread, article].sort(
    (a, b) => (a.published_at ?? "9999").localeCompare(b.published_at ?? "9999") || (a.relation === "this" ? -1 : 0),
  );
  $("#story-title").textContent = `Story of “${story.article.title}”`;
  const counts = story.counts;
  const since = story.since ? ` New since ${story.since}: ${story.thread.length}; ${story.before_since} earlier not shown.` : "";
  $("#story-summary").textContent =
    story.thread.length === 0 && !story.since
      ? "No other stored article tells this story."
      : `${counts.earlier} earlier, ${counts.later} later, ${counts.copy} ${counts.copy === 1 ? "copy" : "copies"}${counts.undated ? `, ${counts.undated} undated` : ""}.${since}`;
  renderAxis(items);
  $("#timeline").replaceChildren(
    ...items.map((item) =>
      el(
        "li",
        { class: item.relation, "data-id": item.id, "data-date": item.published_at ?? "" },
        el("span", { class: "when" }, (item.published_at ?? "undated").slice(0, 10)),
        el("span", { class: `badge ${item.relation}` }, item.relation === "this" ? "this article" : item.relation),
        item.relation === "this" ? null : el("span", { class: "when" }, `  same story ${fmt(item.same_story, 2)} · cosine ${fmt(item.cosine)}`),
        el(
          "span",
          { class: "t" },
          item.url ? el("a", { href: item.url, target: "_blank", rel: "noopener noreferrer" }, item.title || item.id) : item.title || item.id,
        ),
      ),
    ),
  );
  $("#story").hidden = false;
}

function renderAxis(items) {
  const axis = $("#story-axis");
  axis.replaceChildren();
  // The article itself last, so its dot is drawn over same-day neighbours.
  const dated = items.filter((item) => item.published_at).sort((a, b) => (a.relation === "this") - (b.relation === "this"));
  if (dated.length === 0) return;
  const times = dated.map((item) => Date.parse(item.published_at));
  const min = Math.min(...times);
  const max = Math.max(...times);
  const at = (time) => (max === min ? 50 : 2 + ((time - min) / (max - min)) * 96);
  for (const item of dated)
    axis.append(
      el("span", {
        class: `dot ${item.relation}`,
        style: { left: `${at(Date.parse(item.published_at))}%` },
        title: `${item.published_at.slice(0, 10)} ${item.title}`,
      }),
    );
  const ticks = max === min ? [min] : [min, (min + max) / 2, max];
  for (const time of ticks) axis.append(el("span", { class: "tick", style: { left: `${at(time)}%` } }, new Date(time).toISOString().slice(0, 10)));
}

// ---- actions --------------------------------------------------------------------------------
async function runSearch(state) {
  if (!state.q) {
    setStatus("Type a text, an id or a URL to search.");
    return;
  }
  setStatus("Searching…");
  try {
    const answer = await fetchList(state, state.why.length > 0);
    view.answer = answer;
    view.results = answer.results ?? [];
    view.explanations = new Map(view.results.filter((result) => result.explanation).map((result) => [result.id, result.explanation]));
    view.explained = new Set(state.why.filter((id) => view.explanations.has(id)));
    showWarnings(answer.warnings);
    view.statusLine = `${view.results.length} results · ${answer.mode} · ${answer.model}${answer.lang ? ` · language ${answer.lang} (${answer.lang_source})` : ""} · ${answer.took_ms} ms`;
    setStatus(view.statusLine);
    renderResults();
  } catch (error) {
    view.answer = null;
    view.results = [];
    showWarnings([]);
    $("#results-section").hidden = true;
    setStatus(error.message, true);
  }
}

async function toggleExplanation(id) {
  if (view.explained.has(id)) view.explained.delete(id);
  else {
    if (!view.explanations.has(id)) {
      setStatus("Fetching the explanation…");
      try {
        const answer = await fetchList(formState(), true);
        for (const result of answer.results ?? []) if (result.explanation) view.explanations.set(result.id, result.explanation);
        setStatus(view.statusLine ?? "");
      } catch (error) {
        setStatus(error.message, true);
        return;
      }
    }
    view.explained.add(id);
  }
  writeState(formState(), false);
  renderResults();
  document.querySelector(`tr[data-id="${CSS.escape(id)}"] button.why`)?.focus();
}

async function openStory(id, push) {
  view.storyId = id;
  const since = $("#story-since").value;
  try {
    view.story = await api(`/v1/articles/${encodeURIComponent(id)}/story${since ? `?since=${since}` : ""}`);
  } catch (error) {
    view.story = null;
    setStatus(`Story: ${error.message}`, true);
  }
  renderStory();
  writeState(formState(), push);
  if (push) $("#story").scrollIntoView({ behavior: "smooth", block: "start" });
}

function closeStory() {
  view.story = null;
  view.storyId = null;
  renderStory();
  writeState(formState(), true);
}

function addTopicFilter(topic) {
  const input = form.elements.topics;
  const topics = input.value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (!topics.includes(topic)) topics.push(topic);
  input.value = topics.join(", ");
  $("#filters").open = true;
  submit();
}

function searchById(id) {
  for (const radio of form.elements.by) radio.checked = radio.value === "id";
  form.elements.q.value = id;
  updatePlaceholder();
  submit();
}

function submit() {
  view.explained = new Set();
  const state = formState();
  state.why = [];
  writeState(state, true);
  void runSearch(state);
}

// ---- export ---------------------------------------------------------------------------------
function download(name, type, content) {
  const link = el("a", { href: URL.createObjectURL(new Blob([content], { type })), download: name });
  document.body.append(link);
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(link.href);
    link.remove();
  }, 1000);
}

const csvCell = (value) => {
  const text = Array.isArray(value) ? value.join("; ") : value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
const toCsv = (columns, rows) => `${[columns.join(","), ...rows.map((row) => columns.map((column) => csvCell(row[column])).join(","))].join("\r\n")}\r\n`;

function exportResults(kind) {
  const state = formState();
  const rows = view.results.map((result, index) => ({ rank: index + 1, ...result }));
  if (kind === "csv") download("kindred-related.csv", "text/csv", toCsv(["rank", "id", "title", "url", "published_at", "topics", "score", "cosine"], rows));
  else
    download(
      "kindred-related.json",
      "application/json",
      JSON.stringify({ query: { by: state.by, q: state.q }, ...view.answer, results: view.results }, null, 2),
    );
}

function exportStory(kind) {
  if (!view.story) return;
  if (kind === "csv")
    download(
      "kindred-story.csv",
      "text/csv",
      toCsv(["id", "title", "url", "published_at", "relation", "same_story", "cosine", "days_apart"], view.story.thread),
    );
  else download("kindred-story.json", "application/json", JSON.stringify(view.story, null, 2));
}

// ---- wiring ---------------------------------------------------------------------------------
form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
for (const radio of form.elements.by) radio.addEventListener("change", updatePlaceholder);
$("#q").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    submit();
  }
});
$("#export-csv").addEventListener("click", () => exportResults("csv"));
$("#export-json").addEventListener("click", () => exportResults("json"));
$("#story-export-csv").addEventListener("click", () => exportStory("csv"));
$("#story-export-json").addEventListener("click", () => exportStory("json"));
$("#story-close").addEventListener("click", closeStory);
$("#story-since").addEventListener("change", () => view.storyId && openStory(view.storyId, false));
$("#save-key").addEventListener("click", () => {
  sessionStorage.setItem("kindred-key", $("#key").value.trim());
  $("#keybox").hidden = true;
  submit();
});
document.addEventListener("keydown", (event) => {
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName ?? "");
  if (event.key === "/" && !typing) {
    event.preventDefault();
    $("#q").focus();
  } else if (event.key === "Escape" && !$("#story").hidden) closeStory();
});

async function restore() {
  const state = readState();
  fillForm(state);
  if (state.q) await runSearch(state);
  if (state.story) await openStory(state.story, false);
  else renderStory();
}
window.addEventListener("popstate", () => {
  view.story = null;
  view.storyId = null;
  void restore();
});
void restore().then(() => document.body.setAttribute("data-ready", "true"));
