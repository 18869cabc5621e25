import type { z } from "zod";
import { KindredError } from "../core/errors.ts";

const listParameters = new Set(["topics", "exclude_topics", "exclude", "boost_topics"]);

/**
 * Turns a query string into the object the schema validates: list parameters may repeat
 * (`topics=a&topics=b`) or hold commas (`topics=a,b`); other parameters take one value.
 */
export function queryToObject(queries: Record<string, string[]>): Record<string, unknown> {
  // No prototype: on a plain object, `result["__proto__"] = v` would set the prototype instead
  // of adding a key, so `?__proto__=x` would slip past the unknown-parameter check.
  const result: Record<string, unknown> = Object.create(null);
  for (const [name, values] of Object.entries(queries)) {
    if (listParameters.has(name)) {
      result[name] = values
        .flatMap((value) => value.split(","))
        .map((value) => value.trim())
        .filter((value) => value !== "");
    } else {
      if (values.length > 1)
        throw new KindredError("invalid_parameter", `Parameter "${name}" was given ${values.length} times; give it once.`, { parameter: name });
      result[name] = values[0];
    }
  }
  return result;
}

/** Validates with a schema, turning the first problem into an error that names the parameter. */
export function parseParameters<T extends z.ZodType>(schema: T, value: unknown, where: "query" | "body"): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const name = [...issue.path, issue.keys[0]].join(".");
    return failWith("unknown_parameter", `Unknown ${where === "query" ? "query parameter" : "field"} "${name}".`, name);
  }
  const name = issue.path.join(".") || "(body)";
  return failWith(where === "query" ? "invalid_parameter" : "invalid_body", `${where === "query" ? "Parameter" : "Field"} "${name}" ${issue.message}.`, name);
}

function failWith(code: "unknown_parameter" | "invalid_parameter" | "invalid_body", message: string, parameter: string): never {
  throw new KindredError(code, message, { parameter });
}
