import pg from "pg";
import { KindredError } from "../../core/errors.ts";
import { migratePostgres, postgresMigrations } from "../../store/postgres/postgres-migrations.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { print } from "./index-command.ts";

export const migrateHelp = `Usage: kindred migrate --database-url postgres://... [options]

Applies the PostgreSQL store's schema migrations the database lacks, in order, each in its own
transaction, and exits. \`kindred serve\` and \`kindred index\` apply them on start too; run this
first when replicas should start on a prepared database (a deploy step). The SQLite store needs
no migration step.

${sharedOptionsHelp}`;

/** `kindred migrate` */
export async function runMigrateCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {});
  if (values.help) return print(migrateHelp);
  const config = configFromFlags(values);
  if (config.databaseUrl === undefined) {
    throw new KindredError("invalid_config", "kindred migrate needs a PostgreSQL database: give --database-url postgres://... (or KINDRED_DATABASE_URL).");
  }
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 });
  try {
    const applied = await migratePostgres(pool);
    const latest = postgresMigrations[postgresMigrations.length - 1]!.version;
    process.stdout.write(applied.length === 0 ? `The database is at schema version ${latest}; nothing to apply.\n` : `Applied migrations ${applied.join(", ")}; the database is at schema version ${latest}.\n`);
    return 0;
  } finally {
    await pool.end();
  }
}
