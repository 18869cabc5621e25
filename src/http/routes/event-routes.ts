import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { parseIsoTimestamp } from "../../articles/article-schema.ts";
import { KindredError } from "../../core/errors.ts";
import type { EventRecorder } from "../../events/event-recorder.ts";
import { parseParameters, queryToObject } from "../../wire/parse-parameters.ts";
import { limitBody, readJsonBody } from "../request-body.ts";
import { readyEngine, type ServiceState } from "../route-context.ts";

/** Most events one request may carry (a box of 100 results shown at once). */
const maxEventsPerRequest = 100;

/** POST /v1/events: what the widget sends with navigator.sendBeacon. */
export const eventsBodySchema = z
  .object({
    recommendation_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be the recommendation_id of a related list (1-64 letters, digits, '_' or '-')"),
    placement: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-' (e.g. \"article-footer\")"),
    events: z
      .array(
        z
          .object({
            type: z.enum(["impression", "click"], { message: 'must be "impression" or "click"' }),
            position: z
              .number({ message: "must be the result's position, a whole number from 1 to 100" })
              .int("must be a whole number from 1 to 100")
              .min(1, "must be at least 1")
              .max(100, "must be at most 100"),
            article: z.string().min(1, "must not be empty").max(512, "must be at most 512 characters"),
          })
          .strict(),
      )
      .min(1, "must hold at least one event")
      .max(maxEventsPerRequest, `must hold at most ${maxEventsPerRequest} events`),
  })
  .strict();

const dayParameter = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date, YYYY-MM-DD")
  .refine((value) => parseIsoTimestamp(value) !== null, "must be a real date, YYYY-MM-DD");

/** GET /v1/stats: a day range (UTC, inclusive); default the last 30 days. */
export const statsQuerySchema = z.object({ from: dayParameter.optional(), to: dayParameter.optional() }).strict();

export interface EventRouteOptions {
  recorder: EventRecorder | null;
  rateLimit: MiddlewareHandler;
  statsAuth: MiddlewareHandler;
}

/**
 * Impressions and clicks of related lists: POST /v1/events counts them (no key: pages send
 * them; no IP address or cookie kept; a rate limit per client), GET /v1/stats reports CTR by
 * placement and position. The body may come as text/plain, which is what sendBeacon sends for
 * a string and needs no CORS preflight.
 */
export function eventRoutes(state: ServiceState, options: EventRouteOptions) {
  const app = new Hono();
  const recorder = () => {
    if (options.recorder === null) throw new KindredError("not_ready", "Event counting is not enabled in this process.");
    return options.recorder;
  };

  app.post("/v1/events", options.rateLimit, limitBody(16_384), async (c) => {
    parseParameters(z.object({}).strict(), queryToObject(c.req.queries()), "query");
    const body = parseParameters(eventsBodySchema, await readJsonBody(c, ["application/json", "text/plain"]), "body");
    const engine = readyEngine(state);
    // Only articles that exist are counted: a made-up id would grow the table without bound.
    body.events.forEach((event, index) => {
      if (engine.getEntry(event.article) === undefined) {
        throw new KindredError("invalid_body", `Field "events.${index}.article": no article with id "${event.article}" is indexed.`, {
          parameter: `events.${index}.article`,
        });
      }
    });
    recorder().record(body.events.map((event) => ({ type: event.type, placement: body.placement, position: event.position, articleId: event.article })));
    return c.body(null, 204, { "cache-control": "no-store" });
  });

  app.get("/v1/stats", options.statsAuth, (c) => {
    const query = parseParameters(statsQuerySchema, queryToObject(c.req.queries()), "query");
    const events = recorder();
    const to = query.to ?? events.today();
    const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
    if (from > to) throw new KindredError("invalid_parameter", `"from" (${from}) is after "to" (${to}).`, { parameter: "from" });
    return c.json(events.stats(from, to), 200, { "cache-control": "no-store" });
  });

  return app;
}
