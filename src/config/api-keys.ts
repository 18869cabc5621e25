import { createHash } from "node:crypto";
import { z } from "zod";

/** What a key may do. `write` includes `read`. */
export type ApiScope = "read" | "write";

/**
 * A configured API key as kindred keeps it: a name for logs and the SHA-256 digest of the key.
 * The key itself is never kept after configuration is parsed, so nothing can log it.
 */
export interface ApiKey {
  name: string;
  scopes: readonly ApiScope[];
  /** Lower-case hex SHA-256 of the key. */
  sha256: string;
}

/** Shortest key accepted: 16 characters (at 6 bits each, ~96 bits from a random generator). */
export const minApiKeyChars = 16;

const scopeSchema = z.enum(["read", "write"], { message: 'scopes are "read" and "write"' });

/**
 * One key in a config file or keys file: `{"name": "cms", "scopes": ["write"], "key": "..."}`,
 * or with `"sha256": "<hex digest>"` instead of `key` so the file holds no secret.
 */
export const apiKeyEntrySchema = z
  .object({
    name: z.string().regex(/^[\w.-]{1,64}$/, "a key's name must be 1-64 letters, digits, '_', '.' or '-'"),
    scopes: z.array(scopeSchema).min(1, "a key needs at least one scope"),
    key: z.string().min(minApiKeyChars, `a key must be at least ${minApiKeyChars} characters`).max(4096).optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "sha256 must be 64 hex digits")
      .optional(),
  })
  .strict()
  .refine((entry) => (entry.key === undefined) !== (entry.sha256 === undefined), 'give either "key" or "sha256", not both')
  .transform(
    (entry): ApiKey => ({
      name: entry.name,
      scopes: [...new Set(entry.scopes)],
      sha256: entry.sha256?.toLowerCase() ?? digestApiKey(entry.key!),
    }),
  );

/** A keys file, or `apiKeys` in a config file: a JSON array of entries. */
export const apiKeysFileSchema = z.array(apiKeyEntrySchema, { message: "must be a list of keys" });

/** SHA-256 of a presented or configured key, as lower-case hex. */
export function digestApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/**
 * Parses the environment form, comma-separated `name:scopes:key` entries with scopes joined by
 * `+`: `KINDRED_API_KEYS="cms:write:9f2c...,widgets:read:77ab..."`. The key is everything after
 * the second colon. Problems name the entry by position and name, never by its key.
 */
export function parseApiKeyList(value: string, ctx: z.RefinementCtx): ApiKey[] {
  const keys: ApiKey[] = [];
  value.split(",").forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === "") return;
    const [name = "", scopes = "", ...rest] = entry.split(":");
    const parsed = apiKeyEntrySchema.safeParse({ name, scopes: scopes.split("+").filter((scope) => scope !== ""), key: rest.join(":") });
    if (parsed.success) keys.push(parsed.data);
    else {
      // Name the entry only when it has the name:scopes:key shape: a bare key must not be echoed as a "name".
      const label = rest.length > 0 && /^[\w.-]{1,64}$/.test(name) ? ` ("${name}")` : "";
      ctx.addIssue({ code: "custom", message: `entry ${index + 1}${label} must be name:scopes:key (${parsed.error.issues[0]!.message})` });
    }
  });
  return keys;
}

/**
 * The `apiKeys` setting: the environment string form, or a list of entries in a config file.
 * (Not a zod union: a union reports only "Invalid input", and problems must name the entry.)
 */
export const apiKeysSettingSchema = z.unknown().transform((value, ctx): ApiKey[] => {
  if (typeof value === "string") return parseApiKeyList(value, ctx);
  const parsed = apiKeysFileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  ctx.addIssue({ code: "custom", message: `${issue.path.length > 0 ? `at ${issue.path.join(".")}: ` : ""}${issue.message}` });
  return z.NEVER;
});
