/**
 * Answers whose body the store built as JSON text (agent/store/device-json-text.ts), sent as bytes.
 * Fastify's schema serialiser would otherwise walk each device again and, for every nullable field
 * and the change feed's item union, validate the value to pick the schema's branch (a third of a
 * 100-device page's CPU). The route keeps its response schema: it documents the answer in the OpenAPI
 * document, and the tests hold the bytes to it (api/json-text.test.ts).
 *
 * Why bytes: a page of 1,000 devices is 2.4 MB of text in thousands of pieces. Joined into one string
 * it was copied three times (each join, then the object around the items), scanned by the terminal
 * escaping's regular expression, encoded to UTF-8 for the response cache and again for the socket:
 * half of the API's CPU in a catch-up of the change feed (BENCHMARKS.md). Here each piece is encoded
 * once into one buffer, the escaping checks bytes (jsonBytesAscii: a page of texts stored escaped is
 * ASCII already, proved by one isAscii and one memchr), and the response cache and the socket take
 * that buffer as it is.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { jsonBytesAscii } from '../agent/output/escape.js';

/** What Fastify's serialiser sets for an object: the same header for the same bytes. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A member's value as JSON text, or an array as its items' JSON texts (written inside brackets, with
 * commas); an item may be its UTF-8 already (a stored device text: agent/store/device-texts.ts).
 */
export type JsonMemberText = string | readonly (string | Buffer)[];

/** JSON bodies written in ASCII only already (jsonBytesAscii): the escaping hook passes them as they are. */
const asciiBodies = new WeakSet<Buffer>();

/** Mark `body` (JSON already through jsonBytesAscii or jsonTextAscii) as ASCII-only. */
export function markAsciiJson(body: Buffer): Buffer {
  asciiBodies.add(body);
  return body;
}

/**
 * A JSON body in ASCII only (every non-ASCII character and DEL as a \u escape, so also safe to print):
 * `body` itself when it is marked or ASCII already, else its escaped copy, marked. The app's onSend
 * hook runs it on every JSON Buffer answer (api/app.ts).
 */
export function asciiJson(body: Buffer): Buffer {
  return asciiBodies.has(body) ? body : markAsciiJson(jsonBytesAscii(body));
}

/**
 * The buffer a body is written into before its final copy, kept between answers: a new multi-MB
 * buffer per page costs its page faults (the kernel zeroes every 4 KB page at first touch), half a
 * second of a 100 k-device catch-up when each page grew its own. Writing is synchronous, so one
 * buffer serves every answer; one that grew beyond SCRATCH_KEEP_BYTES is dropped after its answer.
 */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);
const SCRATCH_KEEP_BYTES = 16 * 1024 * 1024;

/** UTF-8 written into one growing buffer (no intermediate strings or per-piece buffers); synchronous use only. */
export class Utf8Writer {
  private buf = scratch;
  private end = 0;

  write(text: string | Buffer): void {
    if (typeof text !== 'string') {
      this.reserve(text.length);
      this.end += text.copy(this.buf, this.end);
      return;
    }
    // A UTF-16 unit takes at most 3 bytes: the exact length is counted only near the end of the buffer.
    if (this.buf.length - this.end < 3 * text.length) this.reserve(Buffer.byteLength(text));
    this.end += this.buf.write(text, this.end);
  }

  private reserve(bytes: number): void {
    if (this.buf.length - this.end >= bytes) return;
    const next = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.end + bytes));
    this.buf.copy(next, 0, 0, this.end);
    this.buf = next;
  }

  /** The bytes written, in a buffer of their own and of their size (the response cache counts what it holds). */
  bytes(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.end);
    this.buf.copy(out, 0, 0, this.end);
    scratch = this.buf.length <= SCRATCH_KEEP_BYTES ? this.buf : scratch;
    return out;
  }
}

/**
 * A JSON object from its members' JSON texts, in order (keys are ours: plain ASCII, no escaping), in
 * ASCII only (agent/output/escape.ts): the bytes the schema serialiser's string would be after the
 * app's escaping hook. Stored device texts are escaped already, so their pages pass as they are.
 */
export function jsonObjectBytes(members: readonly (readonly [key: string, json: JsonMemberText])[]): Buffer {
  const w = new Utf8Writer();
  members.forEach(([key, json], m) => {
    w.write(`${m === 0 ? '{' : ','}"${key}":`);
    if (typeof json === 'string') {
      w.write(json);
      return;
    }
    w.write('[');
    json.forEach((item, i) => {
      if (i > 0) w.write(',');
      w.write(item);
    });
    w.write(']');
  });
  w.write('}');
  return markAsciiJson(jsonBytesAscii(w.bytes()));
}

/** This process's part of version ETags: no other process (a restart, another database) matches its tags. */
const PROCESS_TAG = randomBytes(9).toString('base64url');

/**
 * Send `body` (JSON, from jsonObjectBytes) as the answer, as it is, with a weak ETag made of the
 * database version it was read at (changeVersionOf of the sequence read in the same snapshot as the
 * text) instead of a SHA-1 over the body (@fastify/etag skips a reply that has one; a 240 KB page cost
 * about 1 ms to hash). Within one process the same URL at the same version is the same answer: the
 * response cache rests on that already (api/response-cache.ts). The tag still changes whenever the
 * body may: a write stamps a new version, and a new process has a new PROCESS_TAG.
 */
export function sendJsonBytes(reply: FastifyReply, body: Buffer, version: string): FastifyReply {
  return reply.header('etag', `W/"${PROCESS_TAG}.${version}"`).type(JSON_CONTENT_TYPE).send(body);
}
