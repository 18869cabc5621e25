import { describe, expect, it } from "vitest";
import { hegsethId } from "../support/demo-slice.ts";
import { requestJson } from "../support/http-client.ts";
import { createTestApp, useDemoSliceApp } from "../support/open-test-engine.ts";

const writerKey = "cache-test-writer-key-0123456789";
/** Lists far from the changes below: the Oscars and a Starship launch. */
const oscarsId = "wcep-2025-03-02-01046";
const starshipId = "wcep-2025-03-06-01121";

describe("HTTP caching: ETag, 304 and lists that change at once", () => {
  const demo = useDemoSliceApp(writerKey);
  const { write } = demo;
  const get = (path: string, etag?: string) => requestJson(demo.app, "GET", path, { headers: etag === undefined ? {} : { "if-none-match": etag } });
  // Dense lists: a hybrid list also depends on BM25's corpus statistics, which every text change
  // moves, so after an add or edit no hybrid list keeps its tag (test/related/hybrid-related.test.ts).
  const listPath = (id: string) => `/v1/articles/${id}/related?k=10&mode=dense`;
  const filteredPath = `/v1/articles/${hegsethId}/related?k=5&topics=international%20relations&mode=dense`;

  /** The current ETag of each watched list. */
  const etags = async () => {
    const tags = new Map<string, string>();
    for (const path of [listPath(hegsethId), filteredPath, listPath(oscarsId), listPath(starshipId)])
      tags.set(path, (await get(path)).response.headers.get("etag")!);
    return tags;
  };
  /** Lists untouched by a change answer 304 to their old tag, from the cache. */
  const expectUnchanged = async (before: Map<string, string>, path: string) => {
    const revalidated = await get(path, before.get(path));
    expect(revalidated.status, path).toBe(304);
    expect(revalidated.response.headers.get("x-kindred-cache"), path).toBe("hit");
  };
  const expectChanged = async (before: Map<string, string>, path: string) => {
    const fresh = await get(path, before.get(path));
    expect(fresh.status, path).toBe(200);
    expect(fresh.response.headers.get("etag")).not.toBe(before.get(path));
    return fresh.body.results.map((result: { id: string }) => result.id) as string[];
  };

  it("tags a related list, serves it again from the cache, and answers 304 to its tag", async () => {
    const first = await get(listPath(hegsethId));
    const etag = first.response.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    expect(first.response.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
    const second = await get(listPath(hegsethId));
    expect(second.response.headers.get("x-kindred-cache")).toBe("hit");
    expect(second.response.headers.get("etag")).toBe(etag);
    const notModified = await get(listPath(hegsethId), `"other", ${etag}`);
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeNull();
    expect(notModified.response.headers.get("etag")).toBe(etag);
    expect((await get(listPath(hegsethId), "*")).status).toBe(304);
    expect((await get(listPath(hegsethId), 'W/"stale"')).status).toBe(200);
  });

  it("keeps the tag of a list recomputed with nothing changed", async () => {
    const uncachedApp = createTestApp(demo.opened.engine);
    const cached = (await get(listPath(starshipId))).response.headers.get("etag");
    const recomputed = await requestJson(uncachedApp, "GET", listPath(starshipId));
    expect(recomputed.response.headers.get("x-kindred-cache")).toBe("miss");
    expect(recomputed.response.headers.get("etag")).toBe(cached);
  });

  it("changes the affected list at once after an add; the others keep their tag", async () => {
    const before = await etags();
    await write("PUT", "/v1/articles/cache-add", {
      title: "Hegseth orders US Cyber Command to halt operations against Russia",
      topics: ["International relations"],
      published_at: "2025-03-03",
    });
    expect(await expectChanged(before, listPath(hegsethId))).toContain("cache-add");
    expect(await expectChanged(before, filteredPath)).toContain("cache-add");
    await expectUnchanged(before, listPath(oscarsId));
    await expectUnchanged(before, listPath(starshipId));
  });

  it("changes the affected list at once after an edit; the others keep their tag", async () => {
    const before = await etags();
    await write("PUT", "/v1/articles/cache-add", { title: "Parliament debates a fisheries quota bill", published_at: "2025-03-03" });
    expect(await expectChanged(before, listPath(hegsethId))).not.toContain("cache-add");
    await expectUnchanged(before, listPath(oscarsId));
    await expectUnchanged(before, listPath(starshipId));
  });

  it("changes the affected list at once after a metadata change; the others keep their tag", async () => {
    const before = await etags();
    const [, second] = (await get(listPath(hegsethId))).body.results;
    await write("PATCH", `/v1/articles/${second.id}`, { topics: ["cyber warfare"] });
    const after = await get(listPath(hegsethId));
    expect(after.response.headers.get("etag")).not.toBe(before.get(listPath(hegsethId)));
    expect(after.body.results[1]).toMatchObject({ id: second.id, topics: ["cyber warfare"] });
    await expectUnchanged(before, listPath(oscarsId));
    await expectUnchanged(before, listPath(starshipId));
  });

  it("changes the affected list at once after a delete; the others keep their tag", async () => {
    const before = await etags();
    const [top] = (await get(listPath(hegsethId))).body.results;
    expect((await write("DELETE", `/v1/articles/${top.id}`)).status).toBe(204);
    expect(await expectChanged(before, listPath(hegsethId))).not.toContain(top.id);
    await expectUnchanged(before, listPath(oscarsId));
    await expectUnchanged(before, listPath(starshipId));
  });

  it("tags a stored article, answering 304 until it changes", async () => {
    const first = await get(`/v1/articles/${oscarsId}`);
    const etag = first.response.headers.get("etag")!;
    expect((await get(`/v1/articles/${oscarsId}`, etag)).status).toBe(304);
    await write("PATCH", `/v1/articles/${oscarsId}`, { source: "Academy press office" });
    const changed = await get(`/v1/articles/${oscarsId}`, etag);
    expect(changed.status).toBe(200);
    expect(changed.body.source).toBe("Academy press office");
  });
});
