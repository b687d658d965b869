/**
 * Answers whose body the store built as JSON text (agent/store/device-json-text.ts): sent as they are.
 * Fastify's schema serialiser would otherwise walk each device again and, for every nullable field
 * and the change feed's item union, validate the value to pick the schema's branch (a third of a
 * 100-device page's CPU). A string with a JSON content type passes through Fastify untouched; the
 * onSend hooks (terminal escaping, ETag, response cache) still see it. The route keeps its response
 * schema: it documents the answer in the OpenAPI document, and the tests hold the text to it.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** What Fastify's serialiser sets for an object: the same header for the same bytes. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A JSON object from its members' JSON texts, in order (keys are ours: plain ASCII, no escaping). */
export function jsonObjectText(members: readonly (readonly [key: string, json: string])[]): string {
  return `{${members.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}

/** This process's part of version ETags: no other process (a restart, another database) matches its tags. */
const PROCESS_TAG = randomBytes(9).toString('base64url');

/**
 * Send `text` (JSON) as the answer, as it is, with a weak ETag made of the database version it was
 * read at (changeVersionOf of the sequence read in the same snapshot as the text) instead of a SHA-1 over
 * the body (@fastify/etag skips a reply that has one; a 240 KB page cost about 1 ms to hash). Within
 * one process the same URL at the same version is the same answer: the response cache rests on that
 * already (api/response-cache.ts). The tag still changes whenever the body may: a write stamps a new
 * version, and a new process has a new PROCESS_TAG.
 */
export function sendJsonText(reply: FastifyReply, text: string, version: string): FastifyReply {
  return reply.header('etag', `W/"${PROCESS_TAG}.${version}"`).type(JSON_CONTENT_TYPE).send(text);
}
