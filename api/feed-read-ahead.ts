/**
 * Read-ahead of the change feed. A client catching up asks for a page, parses it, then asks for the
 * next one: without read-ahead the server idles while the client parses and the client waits while
 * the server reads, so a catch-up took the sum of both (BENCHMARKS.md). After answering a full page
 * to a client that follows the feed (since 0, or the next_since of a page answered before), the
 * server reads the next page (its next_since, the same limit) in the background; when the client asks
 * for it, the answer is ready, or being read and awaited instead of read twice.
 *
 * Correctness: the page is read in one snapshot on a connection of its own (StoreReader.open), a run
 * of TEXT_CHUNK devices per turn of the event loop (a few ms each, so other requests are answered in
 * between), and served only when the database version the request reads is the one the page was read
 * at: the same version means the same answer (changeVersionOf; the response cache rests on the same
 * fact). Otherwise it is dropped and the page read afresh. Bounded: one page read at a time and at
 * most MAX_PAGES pages kept (a page of 1,000 devices is ~2.4 MB); positions are keyed by since and
 * limit, so clients at other positions get their own answers as before.
 */
import type { ChangePageJson } from '../agent/store/change-query.js';
import type { StoreReader } from '../agent/store/reader.js';
import { jsonObjectBytes } from './json-text.js';

/** A page of the change feed as the route sends it. */
export interface FeedPage {
  body: Buffer;
  /** The database version it was read at (the ETag's). */
  version: string;
  count: number;
  nextSince: number;
  highWater: number;
}

/** The answer's bytes of a page read (the route's body). */
export function feedPageOf(page: Extract<ChangePageJson, { ok: true }>): FeedPage {
  const body = jsonObjectBytes([['items', page.itemTexts], ['next_since', String(page.nextSince)], ['high_water', String(page.highWater)]]);
  return { body, version: page.version, count: page.itemTexts.length, nextSince: page.nextSince, highWater: page.highWater };
}

const MAX_PAGES = 4;
/** Positions handed out as next_since remembered, to tell a client that follows from one that jumps. */
const MAX_FOLLOWED = 64;

export interface ReadAheadStats {
  /** Pages read ahead. */
  read: number;
  /** Pages read ahead and served. */
  served: number;
  /** Pages read ahead and dropped: the database changed before they were asked for. */
  stale: number;
}

export class FeedReadAhead {
  private reader: StoreReader | null = null;
  /** Pages read or being read, by `since:limit`, oldest first. */
  private readonly pages = new Map<string, Promise<FeedPage | null>>();
  private readonly followed = new Set<string>();
  private reading = false;
  /** The read under way (or the last one). */
  private current: Promise<FeedPage | null> = Promise.resolve(null);
  private closed = false;
  readonly stats: ReadAheadStats = { read: 0, served: 0, stale: 0 };

  /** `open`: a reader on a connection of its own, opened at the first read-ahead. */
  constructor(private readonly open: () => StoreReader) {}

  /**
   * The page (since, limit) read ahead at `version`, the version the request reads; null when there
   * is none (or it was read at another version: dropped). Awaits a read of that page under way.
   */
  async take(since: number, limit: number, version: string): Promise<FeedPage | null> {
    const key = `${since}:${limit}`;
    const pending = this.pages.get(key);
    if (pending === undefined) return null;
    this.pages.delete(key);
    const page = await pending;
    if (page === null) return null;
    if (page.version !== version) {
      this.stats.stale++;
      return null;
    }
    this.stats.served++;
    return page;
  }

  /**
   * After answering (since, limit) with `page` (read, read ahead, or a response cache hit): read the
   * next page ahead when the client follows the feed and there is more, unless `answeredElsewhere`
   * says the next page's answer is at hand already (the response cache holds it).
   */
  answered(since: number, limit: number, page: Pick<FeedPage, 'count' | 'nextSince' | 'highWater'>, answeredElsewhere?: (since: number) => boolean): void {
    if (page.count < limit || page.nextSince >= page.highWater) return;
    const next = `${page.nextSince}:${limit}`;
    const follows = since === 0 || this.followed.delete(`${since}:${limit}`);
    this.followed.add(next);
    if (this.followed.size > MAX_FOLLOWED) this.followed.delete(this.followed.values().next().value as string);
    if (!follows || this.reading || this.closed || this.pages.has(next) || answeredElsewhere?.(page.nextSince) === true) return;
    while (this.pages.size >= MAX_PAGES) this.pages.delete(this.pages.keys().next().value as string);
    this.reading = true;
    this.stats.read++;
    this.current = this.read(page.nextSince, limit).finally(() => { this.reading = false; });
    this.pages.set(next, this.current);
  }

  /** The page read a run of devices per turn of the event loop, in one snapshot of the read-ahead's own connection. */
  private async read(since: number, limit: number): Promise<FeedPage | null> {
    let steps: Generator<void, ChangePageJson> | undefined;
    try {
      this.reader ??= this.open();
      steps = this.reader.changesJsonSteps(since, limit);
      for (;;) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        // Closed meanwhile: return() below ends the read transaction before the connection closes.
        if (this.closed) return null;
        const step = steps.next();
        if (step.done === true) return step.value.ok ? feedPageOf(step.value) : null;
      }
    } catch {
      // A read-ahead that fails costs nothing but itself: the request reads the page as before.
      return null;
    } finally {
      steps?.return(undefined as never);
    }
  }

  /** Resolves when the read under way (if any) has ended (tests). */
  async settled(): Promise<void> {
    await this.current;
  }

  /** Stop reading ahead and close the connection (after a read under way has stopped). */
  async close(): Promise<void> {
    this.closed = true;
    await this.current;
    this.pages.clear();
    this.reader?.close();
    this.reader = null;
  }
}
