import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { sha256Base64Url } from "../../src/core/content-hash.ts";
import { describeRejectedRecord, type ReadArticle, readArticleBatches, readArticles } from "../../src/ingest/read-articles.ts";
import { useTempDir } from "../support/temp-dir.ts";

const dir = useTempDir();

async function readAll(path: string): Promise<ReadArticle[]> {
  const items: ReadArticle[] = [];
  for await (const item of readArticles(path)) items.push(item);
  return items;
}

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("JSON Lines reader", () => {
  it("keeps every good line and reports bad ones with line, record and field", async () => {
    const path = write(
      "feed.jsonl",
      [
        '{"id":"a","title":"One","text":"first"}',
        "",
        '{"id":"b","title":"Two", broken json',
        '{"id":"c","title":"Three","published_at":"yesterday"}',
        '{"id":"d","title":"Four"}',
      ].join("\n"),
    );
    const items = await readAll(path);
    expect(items.filter((item) => item.ok === true).map((item) => item.ok === true && item.article.id)).toEqual(["a", "d"]);
    const rejected = items.filter((item): item is Extract<ReadArticle, { ok: false }> => !item.ok).map(describeRejectedRecord);
    expect(rejected[0]).toMatch(/feed\.jsonl:3 \(record 2\): \(record\): not valid JSON/);
    expect(rejected[1]).toMatch(/feed\.jsonl:4 \(record 3\) id "c": published_at: must be an ISO 8601 date/);
  });

  it("with stored ids by digest, passes over lines the store holds exactly and gives the others their digest", async () => {
    const lines = ['{"id":"a","title":"One"}', '{"id":"b","title":"Two"}', "", '{"id":"c", "title":"Three"}', "not json"];
    // A byte-order mark and carriage returns are not part of a line's digest.
    const path = write("digests.jsonl", `\ufeff${lines.join("\r\n")}\r\n`);
    const stored = new Map([
      [sha256Base64Url(lines[0]!), "a"],
      [sha256Base64Url(lines[3]!), "c"],
    ]);
    const asked: string[] = [];
    const items: ReadArticle[] = [];
    for await (const batch of readArticleBatches(path, undefined, {
      storedIdsOf: (digests) => {
        asked.push(...digests);
        return stored;
      },
    })) {
      items.push(...batch);
    }
    expect(items.map((item) => [item.ok, item.position.lineNumber, item.position.recordNumber])).toEqual([
      ["stored", 1, 1],
      [true, 2, 2],
      ["stored", 4, 3],
      [false, 5, 4],
    ]);
    expect(items.map((item) => (item.ok === "stored" ? item.id : item.ok ? item.article.id : item.id))).toEqual(["a", "b", "c", null]);
    expect(items[1]!.ok === true && items[1]!.digest).toBe(sha256Base64Url(lines[1]!));
    expect(asked).toEqual(lines.map((line) => sha256Base64Url(line)));
  });

  it("reads gzipped files", async () => {
    const path = write("feed.jsonl.gz", gzipSync('{"id":"z","title":"Zipped"}\n'));
    expect(await readAll(path)).toMatchObject([{ ok: true, article: { id: "z", title: "Zipped" } }]);
  });
});

describe("JSON array reader", () => {
  it("reads an array and numbers its records", async () => {
    const path = write("feed.json", JSON.stringify([{ id: "a", title: "A" }, { id: "b" }, { id: "c", title: "C" }]));
    const items = await readAll(path);
    expect(items.map((item) => item.ok)).toEqual([true, false, true]);
    expect(items[1]).toMatchObject({ ok: false, id: "b", position: { recordNumber: 2 } });
  });

  it("accepts an object holding an articles array", async () => {
    const path = write("wrapped.json", JSON.stringify({ articles: [{ id: "a", title: "A" }] }));
    expect(await readAll(path)).toMatchObject([{ ok: true, article: { id: "a" } }]);
  });

  it("reports a document that is not JSON as one failed record", async () => {
    const path = write("bad.json", "[{");
    expect(await readAll(path)).toMatchObject([{ ok: false, issues: [{ field: "(record)", reason: expect.stringMatching(/not valid JSON/) }] }]);
  });
});

describe("CSV reader", () => {
  it("handles quoting, embedded newlines, malformed rows and bad fields without losing good rows", async () => {
    const path = write(
      "feed.csv",
      "ID,Title,Text,Topics,Published_At\n" +
        '1,"Hello, world","Body ""quoted""",Politics|Economy,2025-01-02\n' +
        '2,Two,"multi\nline",x,2025-13-01\n' +
        "3,Three,too,many,cells,here\n" +
        "4,Four,ok,,2025-02-02T10:00:00Z\n",
    );
    const items = await readAll(path);
    expect(items.map((item) => item.position.recordNumber)).toEqual([1, 2, 3, 4]);
    expect(items[0]).toMatchObject({ ok: true, article: { id: "1", title: "Hello, world", body: 'Body "quoted"', topics: ["politics", "economy"] } });
    expect(items[1]).toMatchObject({ ok: false, id: "2", position: { lineNumber: 3 }, issues: [{ field: "published_at" }] });
    expect(items[2]).toMatchObject({ ok: false, position: { lineNumber: 5 }, issues: [{ reason: expect.stringMatching(/malformed CSV row/) }] });
    expect(items[3]).toMatchObject({ ok: true, article: { id: "4", topics: [], publishedAt: "2025-02-02T10:00:00Z" } });
  });
});
