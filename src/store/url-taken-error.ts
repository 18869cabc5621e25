import { KindredError } from "../core/errors.ts";

/** The `url_conflict` every store throws when a write gives an article a URL another article has. */
export function urlTakenError(id: string, urlKey: string, ownerId: string): KindredError {
  return new KindredError(
    "url_conflict",
    `Article "${id}" has the URL ${urlKey}, which article "${ownerId}" already has; a URL belongs to one article (change or delete "${ownerId}" first).`,
    {
      id,
      url: urlKey,
      conflicting_id: ownerId,
      parameter: "url",
    },
  );
}
