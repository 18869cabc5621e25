import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs on stderr (pino: fast, and the format log collectors expect), so
 * stdout stays free for command output such as `kindred related --json`.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "kindred" } }, pino.destination(2));
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
