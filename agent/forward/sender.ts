/**
 * A forwarding transport: connects, hands over messages, says when the receiver accepted them.
 * "Accepted" differs by transport (README: Forwarding): RELP and HEC with acknowledgement confirm
 * each message; plain TCP and TLS only that the bytes left (the forwarder resends a window after
 * every reconnect); UDP nothing.
 */
export type Confirmation = 'each' | 'written' | 'none';

export interface Sender {
  readonly confirms: Confirmation;
  /** Opens the connection (again); rejects when the receiver cannot be reached. */
  connect(): Promise<void>;
  /** Resolves once the receiver accepted every message (see `confirms`); rejects when the connection failed. */
  send(messages: readonly string[]): Promise<void>;
  /** Closes politely (RELP close, TCP FIN). */
  close(): Promise<void>;
  /** Drops a broken connection without ceremony. */
  destroy(): void;
}

/** Waits for `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
