import { z } from "zod";

/**
 * The query of every write route. `wait=true`: answered once every process's lists hold the
 * write (what the CLI, scripts and read-your-writes clients ask for); by default a PUT or batch
 * is answered once durable, and indexed right after (docs/http-api.md, "Acknowledgement").
 */
export const writeQuerySchema = z.object({ wait: z.enum(["true", "false"]).optional() }).strict();
