import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

describe("kindred index and article URLs", () => {
  it("rejects a record whose URL an earlier one has, naming line, record and field, and indexes the rest", async () => {
    const dir = useTempDir();
    const feed = join(dir, "feed.jsonl");
    writeFileSync(
      feed,
      [
        { id: "u1", title: "Central bank raises interest rates", url: "https://news.example/economy/rates" },
        { id: "u2", title: "Rates rise again, says the central bank", url: "HTTPS://news.example/economy/rates/?utm_source=feed" },
        { id: "u3", title: "Home side wins the cup final", url: "https://news.example/sport/cup" },
      ]
        .map((item) => JSON.stringify(item))
        .join("\n"),
    );
    const result = await kindred(["index", feed, "--data-dir", join(dir, "index"), "--workers", "1"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/indexed 2, updated 0, unchanged 0, failed 1/);
    expect(result.stderr).toMatch(
      /feed\.jsonl:2 \(record 2\) id "u2", field "url": has the URL https:\/\/news\.example\/economy\/rates, which article "u1" already has/,
    );
  });
});
