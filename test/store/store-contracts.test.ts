import { describeArticleLogContract } from "./contracts/article-log-contract.ts";
import { describeLexicalStatisticsContract } from "./contracts/lexical-statistics-contract.ts";
import { describeModelStagingContract } from "./contracts/model-staging-contract.ts";
import { useStoreImplementations } from "./contracts/store-implementations.ts";

// One contract suite per store port, run against every implementation (as hono runs one router
// suite against every router): SQLite, and PostgreSQL on a throwaway cluster.
for (const implementation of useStoreImplementations()) {
  describeArticleLogContract(implementation);
  describeLexicalStatisticsContract(implementation);
  describeModelStagingContract(implementation, implementation.name === "SQLite");
}
