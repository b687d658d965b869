/**
 * Answers whose body the store built as JSON text (agent/store/device-json-text.ts): sent as they are.
 * Fastify's schema serialiser would otherwise walk each device again and, for every nullable field
 * and the change feed's item union, validate the value to pick the schema's branch (a third of a
 * 100-device page's CPU). A string with a JSON content type passes through Fastify untouched; the
 * onSend hooks (terminal escaping, ETag, response cache) still see it. The route keeps its response
 * schema: it documents the answer in the OpenAPI document, and the tests hold the text to it.
 */
import type { FastifyReply } from 'fastify';

/** What Fastify's serialiser sets for an object: the same header for the same bytes. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A JSON object from its members' JSON texts, in order (keys are ours: plain ASCII, no escaping). */
export function jsonObjectText(members: readonly (readonly [key: string, json: string])[]): string {
  return `{${members.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}

/** Send `text` (JSON) as the answer, as it is. */
export function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type(JSON_CONTENT_TYPE).send(text);
}
