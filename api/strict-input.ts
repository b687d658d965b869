/**
 * Request checks that the schemas cannot express, run before validation on the raw strings:
 * - a query parameter given twice (`?vendor=a&vendor=b`): which one was meant?
 * - a control character in a parameter (`vendor=%00`, ESC, C1): never part of a valid value, and a
 *   NUL or ESC in a filter is an attack on whatever logs or shows it;
 * - an integer written other than in decimal digits (`/devices/0x10`, `1e2`, ` 5`), which the
 *   validator's type coercion would otherwise read as another number.
 */
import type { FastifyRequest } from 'fastify';
import { hasControls } from '../agent/output/escape.js';
import { ApiError } from './errors.js';

type Part = 'querystring' | 'params';
const PART_NAMES: Record<Part, string> = { querystring: 'query parameter', params: 'path parameter' };

/** Property names declared as integers in the route's schema for that part. */
function integerProperties(req: FastifyRequest, part: Part): Set<string> {
  const schema = (req.routeOptions.schema as Record<string, unknown> | undefined)?.[part] as { properties?: Record<string, { type?: unknown }> } | undefined;
  const out = new Set<string>();
  for (const [name, p] of Object.entries(schema?.properties ?? {})) if (p.type === 'integer') out.add(name);
  return out;
}

function check(req: FastifyRequest, part: Part, values: Record<string, unknown>): void {
  const kind = PART_NAMES[part];
  const integers = integerProperties(req, part);
  for (const [name, value] of Object.entries(values)) {
    if (Array.isArray(value)) throw new ApiError(400, `${kind} '${name}' is given ${value.length} times: give it once`);
    if (typeof value !== 'string') continue;
    if (hasControls(value)) throw new ApiError(400, `${kind} '${name}' contains a control character, which no valid value has`);
    // Only what the coercion would turn into an integer: the schema words the other mistakes ('abc', '1.5').
    if (integers.has(name) && Number.isInteger(Number(value)) && !/^-?[0-9]+$/.test(value)) {
      throw new ApiError(400, `${kind} '${name}' must be an integer in decimal digits, e.g. 42 (not '${value}')`);
    }
  }
}

/** Fastify preValidation hook: throws a 400 ApiError naming the parameter. */
export async function strictInput(req: FastifyRequest): Promise<void> {
  check(req, 'querystring', (req.query ?? {}) as Record<string, unknown>);
  check(req, 'params', (req.params ?? {}) as Record<string, unknown>);
}
