/**
 * Opening a database file: the writer's connection (WAL, crash-consistent, migrated to the current
 * schema) or a read-only one, and the one-line errors a user can act on.
 */
import Database from 'better-sqlite3';
import { UserFacingError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

type Db = Database.Database;

export function openDatabase(path: string, opts: { readonly?: boolean } = {}): Db {
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (opts.readonly && /unable to open|does not exist/i.test(e.message)) {
      throw new UserFacingError(`no database at ${path}: ingest a capture first (auscult read FILE --db ${path})`);
    }
    throw new UserFacingError(`cannot open database ${path}: ${e.message} (check the path and its permissions)`);
  }
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode is crash-consistent: a kill loses at most the last transaction, never corrupts.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } else {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw newerSchema(path, version);
  }
  db.pragma('busy_timeout = 5000');
  return db;
}

function newerSchema(path: string, version: number): UserFacingError {
  return new UserFacingError(
    `database ${path} has schema version ${version}, newer than this auscult knows (${SCHEMA_VERSION}): upgrade auscult`,
  );
}

function migrate(db: Db, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw newerSchema(path, current);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
