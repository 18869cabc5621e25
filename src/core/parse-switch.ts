/**
 * A switch as a person writes it: a boolean, or "true"/"false"/"1"/"0" (a query string, the
 * environment, a flag). Undefined for anything else, so the caller can name what it was.
 * The configuration, the HTTP parameters and the CLI all read switches with this.
 *
 * @example
 *   parseSwitch("1"); // true
 *   parseSwitch("yes"); // undefined
 */
export function parseSwitch(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  return undefined;
}

/** The message every reader of a switch gives for a value that is none. */
export const switchMessage = 'must be "true" or "false"';
