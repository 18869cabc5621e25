import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digestApiKey } from "../../src/config/api-keys.ts";
import { loadConfig } from "../../src/config/config.ts";
import { useTempDir } from "../support/temp-dir.ts";

const load = (env: Record<string, string>, configFile?: string) => loadConfig({ env, ...(configFile === undefined ? {} : { configFile }) });

describe("API keys in the configuration", () => {
  const dir = useTempDir();

  it("reads several keys with their scopes from KINDRED_API_KEYS, keeping only digests", () => {
    const config = load({
      KINDRED_API_KEYS: "cms:write:first-secret-0123456789, cms-next:read+write:second:secret:0123, widgets:read:third-secret-0123456789",
    });
    expect(config.apiKeys).toEqual([
      { name: "cms", scopes: ["write"], sha256: digestApiKey("first-secret-0123456789") },
      { name: "cms-next", scopes: ["read", "write"], sha256: digestApiKey("second:secret:0123") },
      { name: "widgets", scopes: ["read"], sha256: digestApiKey("third-secret-0123456789") },
    ]);
    expect(JSON.stringify(config)).not.toContain("secret");
  });

  it("adds keys from a keys file, as keys or as SHA-256 digests", () => {
    const keysFile = join(dir, "keys.json");
    writeFileSync(
      keysFile,
      JSON.stringify([
        { name: "ingest", scopes: ["write"], key: "file-secret-0123456789" },
        { name: "old", scopes: ["read"], sha256: "A".repeat(64) },
      ]),
    );
    const config = load({ KINDRED_API_KEYS: "cms:write:first-secret-0123456789", KINDRED_API_KEYS_FILE: keysFile });
    expect(config.apiKeys.map((key) => key.name)).toEqual(["cms", "ingest", "old"]);
    expect(config.apiKeys[2]!.sha256).toBe("a".repeat(64));
  });

  it("takes keys from the config file", () => {
    const configFile = join(dir, "kindred.config.json");
    writeFileSync(configFile, JSON.stringify({ apiKeys: [{ name: "cms", scopes: ["write"], key: "config-secret-0123456789" }], readsRequireKey: true }));
    expect(load({}, configFile)).toMatchObject({ apiKeys: [{ name: "cms", sha256: digestApiKey("config-secret-0123456789") }], readsRequireKey: true });
  });

  it.each([
    ["a short key", "cms:write:short", /KINDRED_API_KEYS: entry 1 \("cms"\) must be name:scopes:key \(a key must be at least 16 characters\)/],
    ["an unknown scope", "cms:admin:long-enough-secret-0123", /entry 1 \("cms"\).*scopes are "read" and "write"/],
    ["a bare key", "bare-long-enough-secret-0123", /KINDRED_API_KEYS: entry 1 must be name:scopes:key/],
  ])("refuses %s, naming the entry and never the key", (_what, value, message) => {
    expect(() => load({ KINDRED_API_KEYS: value })).toThrow(message);
    expect(() => load({ KINDRED_API_KEYS: value })).not.toThrow(/secret|short/);
    expect(() => load({ KINDRED_API_KEYS: `ok:write:0123456789abcdef,${value}` })).toThrow(/entry 2/);
  });

  it("never shows a key in an error about the keys file", () => {
    const keysFile = join(dir, "bad-keys.json");
    writeFileSync(keysFile, JSON.stringify([{ name: "ingest", scopes: ["write"], key: "tiny-secret" }]));
    expect(() => load({ KINDRED_API_KEYS_FILE: keysFile })).toThrow(/keys file ".*bad-keys.json" at 0.key: a key must be at least 16 characters/);
    expect(() => load({ KINDRED_API_KEYS_FILE: keysFile })).not.toThrow(/tiny-secret/);
    expect(() => load({ KINDRED_API_KEYS_FILE: join(dir, "missing.json") })).toThrow(/cannot read keys file .*missing.json.*ENOENT/);
  });

  it("reads readsRequireKey from the environment as a switch", () => {
    expect(load({ KINDRED_READS_REQUIRE_KEY: "false" }).readsRequireKey).toBe(false);
    expect(load({ KINDRED_READS_REQUIRE_KEY: "1" }).readsRequireKey).toBe(true);
    expect(() => load({ KINDRED_READS_REQUIRE_KEY: "yes" })).toThrow(/KINDRED_READS_REQUIRE_KEY: must be "true" or "false"/);
  });
});
