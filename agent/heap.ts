/**
 * How far V8 lets its heap grow beyond what is alive before it collects (issue 13.4, README: Memory).
 * The memory bounds (memory.*) bound what ingesting keeps alive; left alone, V8 then lets the heap grow
 * to up to four times the live set between full collections when allocation is fast, which is what
 * a flood of new MACs makes: 1 M new MACs peaked at 324 MB RSS with a live heap that fits in 160 MB.
 * V8 reads `--heap-growing-percent` at every collection, so unlike `--max-old-space-size` (fixed when
 * the heap is set up, and a hard cap that ends the process when a large API answer needs more) it can be
 * set here, after start-up, without starting Node again, and only by the commands that ingest.
 * A user's own `node --heap-growing-percent=N` wins (Node does not allow that flag in NODE_OPTIONS); a
 * hard cap of the user's (`NODE_OPTIONS=--max-old-space-size=N`) applies as well.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** The default growth per collection: BENCHMARKS.md (issue 13.4, heap growth) for how it was chosen. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 20;
export const MAX_HEAP_GROWTH_PERCENT = 1000;

export interface HeapBound {
  /** Growth of the heap limit after each full collection, in percent of what survived; 0: V8 decides. */
  growthPercent: number;
  /** `auscult`: from memory.heap_growth_percent or the flag; `node`: the user's node flag, left as it is. */
  source: 'auscult' | 'node';
  /** V8's hard limit of the heap (--max-old-space-size and the young generation), MiB. */
  limitMiB: number;
}

const NODE_FLAG = /(?:^|\s)--heap[-_]growing[-_]percent(?:=|\s+)(\d+)/;

/**
 * Sets V8's heap growth to `percent` unless node was started with its own `--heap-growing-percent`
 * (`nodeFlags`: node's command line), and says which holds.
 */
export function boundHeapGrowth(percent: number = DEFAULT_HEAP_GROWTH_PERCENT, nodeFlags: string = process.execArgv.join(' ')): HeapBound {
  const own = NODE_FLAG.exec(nodeFlags);
  if (own !== null) return { growthPercent: Number(own[1]), source: 'node', limitMiB: heapLimitMiB() };
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return { growthPercent: percent, source: 'auscult', limitMiB: heapLimitMiB() };
}

function heapLimitMiB(): number {
  return Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
}
