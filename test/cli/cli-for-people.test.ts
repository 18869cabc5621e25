import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { formatDuration } from "../../src/cli/format-duration.ts";
import { formatTable } from "../../src/cli/text-table.ts";
import { kindred, kindredBin } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

/** Runs kindred with text on its standard input. */
function kindredWithInput(args: string[], input: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("node", [kindredBin, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("kindred for people at a terminal", () => {
  const dir = useTempDir();
  const dataDir = join(dir, "index");
  const longTitle = `Central bank raises interest rates to fight inflation ${"and explains at length why it had to ".repeat(4)}`.trim();
  beforeAll(async () => {
    const feed = join(dir, "feed.jsonl");
    writeFileSync(
      feed,
      [
        { id: "c1", title: longTitle, url: "https://news.example/c1", published_at: "2025-05-01" },
        { id: "c2", title: "Inflation slows after the central bank's rate rise", url: "https://news.example/c2", published_at: "2025-05-20" },
        { id: "s1", title: "Home side wins the cup final on penalties", published_at: "2025-05-02" },
      ]
        .map((item) => JSON.stringify(item))
        .join("\n"),
    );
    expect((await kindred(["index", feed, "--data-dir", dataDir, "--workers", "1"])).code).toBe(0);
  }, 120_000);

  it("prints a table with a header, cosine and URL columns, titles fitted to the width, and no log line", async () => {
    // No KINDRED_LOG_LEVEL: the default must keep informational logs off the terminal.
    const result = await kindredWithInput(["similar", "--text", "interest rates and inflation", "--data-dir", dataDir, "--k", "2"], "", {
      KINDRED_LOG_LEVEL: "",
      COLUMNS: "100",
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^#\s+score\s+cosine\s+date\s+id\s+title\s+url$/);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100);
    const c1 = lines.find((line) => line.includes(" c1 "))!;
    expect(c1).toMatch(/\d\.\d{3}\s+2025-05-01\s+c1\s+Central bank raises .*…\s+https:\/\/news\.example\/c1$/);
  });

  it("reads the text from standard input with --text - and from a file with --file", async () => {
    const piped = await kindredWithInput(["similar", "--text", "-", "--data-dir", dataDir, "--k", "1"], "The cup final was decided on penalties.\n");
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/s1\s+Home side wins/);
    const file = join(dir, "draft.txt");
    writeFileSync(file, "Prices rise more slowly now that the central bank has raised rates.");
    const fromFile = await kindred(["similar", "--file", file, "--data-dir", dataDir, "--k", "1"]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/c[12]\s+(Inflation|Central)/);
    const missing = await kindred(["similar", "--file", join(dir, "nope.txt"), "--data-dir", dataDir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read --file .*nope\.txt: ENOENT/);
  });

  it("refuses a data directory that holds no index, naming it, and creates nothing there", async () => {
    const typo = join(dir, "indx");
    for (const args of [
      ["related", "c1"],
      ["similar", "--text", "rates rise again"],
      ["story", "c1"],
    ]) {
      const result = await kindred([...args, "--data-dir", typo]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`No index in ${typo}`);
    }
    expect((await import("node:fs")).existsSync(typo)).toBe(false);
  });

  it("answers a busy port with one line naming the port and the setting that changes it", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await kindred(["serve", "--data-dir", dataDir, "--host", "127.0.0.1", "--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n")).toEqual([
        `kindred serve: Port ${port} on 127.0.0.1 is already in use by another process; choose another with --port N (or PORT=N, or "port" in kindred.config.json).`,
      ]);
    } finally {
      blocker.close();
    }
  });

  it("offers in help only the options that work for the command", async () => {
    const similar = await kindred(["similar", "--help"]);
    expect(similar.stdout).not.toContain("--published-before");
    expect(similar.stdout).toContain("--file PATH");
    expect((await kindred(["related", "--help"])).stdout).toContain("--published-before");
    const refused = await kindred(["similar", "--text", "rates", "--published-before", "article", "--data-dir", dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/published-before/);
  });
});

describe("progress and tables", () => {
  it("formats an ETA with the carry in the minutes: 4m00s, never 3m60s", () => {
    expect(formatDuration(239.8, 5)).toBe("4m00s");
    expect(formatDuration(59.7, 1)).toBe("1m00s");
    expect(formatDuration(3599.9, 5)).toBe("1h00m");
    expect(formatDuration(125, 1)).toBe("2m05s");
    expect(formatDuration(7, 5)).toBe("7s");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("--");
  });

  it("fits the flexible column to the width and leaves the others whole", () => {
    const table = formatTable([{ header: "id" }, { header: "title", flexible: true }, { header: "url" }], [["a1", "x".repeat(80), "https://e.example/a1"]], 60);
    const [header, row] = table.trimEnd().split("\n");
    expect(header).toMatch(/^id\s+title\s+url$/);
    expect([...row!].length).toBeLessThanOrEqual(60);
    expect(row).toMatch(/^a1\s+x+…\s+https:\/\/e\.example\/a1$/);
  });
});
