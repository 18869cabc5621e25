import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // The `kindred` command spawned by tests runs the sources, never a possibly stale dist/.
    env: { KINDRED_RUN_SOURCES: "1" },
    // Real model, real index, real database: give the model time to load in workers.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Two cores: more parallel files would only fight over them.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
