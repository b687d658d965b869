/** Prepared statements by SQL text, for the read models: compiling a statement costs more than running it. */
import type Database from 'better-sqlite3';

export class Statements {
  private readonly byText = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let st = this.byText.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.byText.set(sql, st);
    }
    return st;
  }
}
