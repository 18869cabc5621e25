import { workerData } from "node:worker_threads";
import type { Article } from "../core/article.ts";
import { SqliteArticleStore } from "../store/sqlite-article-store.ts";
import { answerWorkerRequests } from "../workers/worker-requests.ts";
import { prepareArticle, type WriterRequest } from "./store-writer.ts";

/** How long one turn of analysing ahead may hold the thread before a waiting request is answered. */
const aheadSliceMs = 8;

/**
 * The store writer thread (store-writer.ts): its own connection, one request at a time. Between
 * requests, the texts of prepared articles are tokenised and signed ahead of their write
 * transaction (that work needs no vector, so it runs while the model embeds the same articles);
 * a transaction reaching an article first analyses it itself.
 */
answerWorkerRequests<WriterRequest>(() => {
  const store = SqliteArticleStore.open((workerData as { dataDir: string }).dataDir);
  let waiting: Article[] = [];
  let next = 0;
  let scheduled = false;
  const analyzeAhead = () => {
    scheduled = false;
    const until = performance.now() + aheadSliceMs;
    while (next < waiting.length && performance.now() < until) {
      const article = waiting[next++]!;
      store.analyzeExpectedText(article.title, article.body);
    }
    if (next < waiting.length) schedule();
    else [waiting, next] = [[], 0];
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(analyzeAhead);
  };
  return (request) => {
    if (request.kind === "prepare") {
      const prepared = request.articles.map((article) => prepareArticle(request.modelId, article, request.plan));
      store.expectTexts(request.articles);
      waiting.push(...request.articles);
      schedule();
      return prepared;
    }
    return request.kind === "write" ? store.writeArticles(request.writes, request.modelId) : store.deleteArticles(request.ids);
  };
});
