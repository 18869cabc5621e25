import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { KindredError } from "../../core/errors.ts";
import { importSqliteStore } from "../../store/postgres/import-sqlite-store.ts";
import { PostgresArticleLog } from "../../store/postgres/postgres-article-log.ts";
import { migratePostgres, postgresMigrations } from "../../store/postgres/postgres-migrations.ts";
import { databaseFileName, SqliteArticleStore } from "../../store/sqlite-article-store.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { createProgressBar } from "../progress-bar.ts";
import { print } from "./index-command.ts";

export const migrateHelp = `Usage: kindred migrate --database-url postgres://... [--import-sqlite DIR] [options]

Applies the PostgreSQL store's schema migrations the database lacks, in order, each in its own
transaction, and exits. \`kindred serve\` and \`kindred index\` apply them on start too; run this
first when replicas should start on a prepared database (a deploy step). The SQLite store needs
no migration step.

Options:
  --import-sqlite DIR  then copy the SQLite index in DIR (articles, vectors, hashes) into the
                       database: a single node becomes replicas without re-embedding anything
${sharedOptionsHelp}`;

/** `kindred migrate` */
export async function runMigrateCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { "import-sqlite": { type: "string" } });
  if (values.help) return print(migrateHelp);
  const config = configFromFlags(values);
  if (config.databaseUrl === undefined) {
    throw new KindredError("invalid_config", "kindred migrate needs a PostgreSQL database: give --database-url postgres://... (or KINDRED_DATABASE_URL).");
  }
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 });
  try {
    const applied = await migratePostgres(pool);
    const latest = postgresMigrations[postgresMigrations.length - 1]!.version;
    process.stdout.write(
      applied.length === 0
        ? `The database is at schema version ${latest}; nothing to apply.\n`
        : `Applied migrations ${applied.join(", ")}; the database is at schema version ${latest}.\n`,
    );
    const sqliteDir = values["import-sqlite"];
    if (sqliteDir !== undefined) {
      if (!existsSync(join(sqliteDir, databaseFileName))) {
        throw new KindredError("invalid_parameter", `--import-sqlite: no SQLite index in ${sqliteDir} (expected ${join(sqliteDir, databaseFileName)}).`, {
          parameter: "import-sqlite",
        });
      }
      const source = SqliteArticleStore.open(sqliteDir);
      try {
        const bar = createProgressBar("importing", source.count());
        const counts = await importSqliteStore(source, new PostgresArticleLog(pool), { onProgress: (done) => bar.update(done) });
        bar.stop();
        process.stdout.write(`Imported ${sqliteDir}: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged.\n`);
      } finally {
        source.close();
      }
    }
    return 0;
  } finally {
    await pool.end();
  }
}
