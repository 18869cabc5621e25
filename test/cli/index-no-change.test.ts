import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { defaultModelId } from "../../src/config/config.ts";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

describe("kindred index of a feed that did not change", () => {
  const dir = useTempDir();
  const dataDir = join(dir, "index");
  const feed = join(dir, "feed.jsonl");
  const articles = [
    { id: "n1", title: "Central bank raises interest rates to fight inflation", text: "The central bank raised its main rate by half a point on Tuesday." },
    { id: "n2", title: "Ein schweres Erdbeben hat die Westküste Japans erschüttert", text: "Die Behörden warnten vor einem Tsunami an der Küste." },
    { id: "n3", title: "Home side wins the cup final on penalties", text: "The match ended level after extra time.", lang: "en" },
  ];
  const writeFeed = (items: object[]) => writeFileSync(feed, items.map((item) => JSON.stringify(item)).join("\n"));
  const index = () => kindred(["index", feed, "--data-dir", dataDir, "--workers", "1"], { KINDRED_LOG_LEVEL: "info" });

  it("counts every article unchanged without opening the index or the model", async () => {
    writeFeed(articles);
    const first = await index();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/indexed 3, updated 0, unchanged 0, failed 0/);
    expect(first.stderr).toMatch(/index open/);
    expect(first.stderr).toMatch(/starting embedding workers/);

    const again = await index();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/indexed 0, updated 0, unchanged 3, failed 0/);
    // Opening the engine logs "index open" and starting the model "starting embedding workers".
    expect(again.stderr).not.toMatch(/index open/);
    expect(again.stderr).not.toMatch(/starting embedding workers/);
  });

  it("remembers the detected languages, and gives the same ones as detection", async () => {
    const db = new Database(join(dataDir, "kindred.sqlite"), { readonly: true });
    try {
      // Each record's bytes are remembered under the pipeline that stored it (model, plan, version).
      const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
      expect(db.prepare("SELECT article_id, pipeline FROM record_digests ORDER BY article_id").all()).toEqual(
        ["n1", "n2", "n3"].map((id) => ({ article_id: id, pipeline: `${defaultModelId} selected kindred ${version}` })),
      );
      // n3 gives its language; n1 and n2 had theirs detected.
      expect(db.prepare("SELECT COUNT(*) AS n FROM language_guesses").get()).toEqual({ n: 2 });
      const langs = db.prepare("SELECT id, lang FROM articles ORDER BY id").all();
      expect(langs).toEqual([
        { id: "n1", lang: "en" },
        { id: "n2", lang: "de" },
        { id: "n3", lang: "en" },
      ]);
    } finally {
      db.close();
    }
  });

  it("writes nothing when nothing changed: no change logged, no article row touched", async () => {
    const snapshot = () => {
      const db = new Database(join(dataDir, "kindred.sqlite"), { readonly: true });
      try {
        return {
          changes: db.prepare("SELECT COUNT(*) AS n, MAX(seq) AS last FROM changes").get(),
          articles: db.prepare("SELECT id, seq, text_hash, embed_hash FROM articles ORDER BY id").all(),
        };
      } finally {
        db.close();
      }
    };
    const before = snapshot();
    const again = await index();
    expect(again.stdout).toMatch(/indexed 0, updated 0, unchanged 3, failed 0/);
    expect(snapshot()).toEqual(before);
  });

  it("picks up one changed field of an otherwise unchanged feed, without re-embedding it", async () => {
    writeFeed([{ ...articles[0]!, url: "https://news.example/rates" }, articles[1]!, articles[2]!]);
    const changed = await index();
    expect(changed.stdout).toMatch(/indexed 0, updated 1, unchanged 2, failed 0/);
    expect(changed.stderr).not.toMatch(/starting embedding workers/);
    const db = new Database(join(dataDir, "kindred.sqlite"), { readonly: true });
    try {
      expect(db.prepare("SELECT url FROM articles WHERE id = 'n1'").get()).toEqual({ url: "https://news.example/rates" });
    } finally {
      db.close();
    }
    writeFeed(articles);
    expect((await index()).stdout).toMatch(/indexed 0, updated 1, unchanged 2, failed 0/);
  });

  it("opens the index for the one article that changed, and only writes that one", async () => {
    writeFeed([articles[0]!, { ...articles[1]!, text: "Die Behörden hoben die Tsunami-Warnung am Abend wieder auf." }, articles[2]!]);
    const changed = await index();
    expect(changed.code).toBe(0);
    expect(changed.stdout).toMatch(/indexed 0, updated 1, unchanged 2, failed 0/);
    expect(changed.stderr).toMatch(/index open/);
  });
});
