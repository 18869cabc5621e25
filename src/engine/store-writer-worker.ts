import { workerData } from "node:worker_threads";
import { SqliteArticleStore } from "../store/sqlite-article-store.ts";
import { answerWorkerRequests } from "../workers/worker-requests.ts";
import { prepareArticle, type WriterRequest } from "./store-writer.ts";

/** The store writer thread (store-writer.ts): its own connection, one request at a time. */
answerWorkerRequests<WriterRequest>(() => {
  const store = SqliteArticleStore.open((workerData as { dataDir: string }).dataDir);
  return (request) =>
    request.kind === "prepare"
      ? request.articles.map((article) => prepareArticle(request.modelId, article, request.plan))
      : request.kind === "write"
        ? store.writeArticles(request.writes, request.modelId)
        : store.deleteArticles(request.ids);
});
