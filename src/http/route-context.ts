import type { MiddlewareHandler } from "hono";
import { KindredError } from "../core/errors.ts";
import type { KindredEngine } from "../engine/kindred-engine.ts";
import type { CachePolicy } from "./http-caching.ts";
import type { ServiceState } from "./service-state.ts";

/*
 * What every route module shares: the service state, the ready engine and the read options.
 * Routes import this (and modules below it), never `app.ts` or one another, so the HTTP layer's
 * imports point one way: app -> routes -> route context -> engine.
 */
export type { ServiceState };

/** What read routes need to guard and label their responses. */
export interface ReadRouteOptions {
  /** The API-key check for reads, or a pass-through while reads are public. */
  readAuth: MiddlewareHandler;
  cachePolicy: CachePolicy;
}

/** The engine, or a 503 problem while the index is still opening. */
export function readyEngine(state: ServiceState): KindredEngine {
  if (state.engine === null) throw new KindredError("not_ready", `The index is not ready yet (${state.phase}); retry shortly.`, { phase: state.phase });
  return state.engine;
}
