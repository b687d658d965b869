/**
 * One error shape for every failure the API reports (400, 401, 403, 404, 500, 503), and the wording of request
 * validation errors: a client must learn from the message alone which parameter was wrong and why.
 */
import type { FastifyError, FastifySchemaValidationError } from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'HTTP reason phrase, e.g. "Bad Request"' }),
    message: Type.String({ description: 'what went wrong, naming the offending parameter' }),
    statusCode: Type.Integer({ description: 'HTTP status code, repeated for clients that only see the body' }),
  },
  { description: 'Error: the same shape for every 4xx and 5xx' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/** Responses every route may give besides its success: declared so OpenAPI documents them. */
export const ERROR_RESPONSES = { 400: ErrorResponse, 404: ErrorResponse, 500: ErrorResponse } as const;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  410: 'Gone',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(statusCode: number): string {
  return REASONS[statusCode] ?? (statusCode < 500 ? 'Bad Request' : 'Internal Server Error');
}

export function errorBody(statusCode: number, message: string): ErrorResponse {
  return { error: reasonPhrase(statusCode), message, statusCode };
}

/** An expected failure a handler reports to the client (bad input it could not express in the schema, 404). */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request part that failed validation (querystring, params, body, headers). */
type RequestPart = NonNullable<FastifyError['validationContext']>;

const PART_NAMES: Record<RequestPart, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
};

/**
 * One sentence for the first validation error. `schema` is the schema of the request part that failed,
 * used to list the accepted parameters when an unknown one is given (typos such as `?vendr=`).
 */
export function validationMessage(
  errors: FastifySchemaValidationError[],
  part: RequestPart | undefined,
  schema: unknown,
): string {
  const e = errors[0];
  const kind = PART_NAMES[part ?? 'querystring'];
  if (e === undefined) return `invalid ${kind}`;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') {
    const accepted = Object.keys((schema as TSchema & { properties?: object })?.properties ?? {});
    const list = accepted.length > 0 ? ` (accepted: ${accepted.join(', ')})` : '';
    return `unknown ${kind} '${String(params.additionalProperty)}'${list}`;
  }
  // Ajv paths look like "/limit"; the top-level object itself has an empty path.
  const name = e.keyword === 'required' ? String(params.missingProperty) : e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const subject = name === '' ? kind.replace(/ .*/, '') : `${kind} '${name}'`;
  if (e.keyword === 'required') return `${subject} is required`;
  if (e.keyword === 'format' && params.format === 'date-time') {
    return `${subject} must be an ISO 8601 date-time with a time zone, e.g. 2024-05-01T08:00:00Z`;
  }
  if (e.keyword === 'type') return `${subject} must be ${params.type === 'integer' ? 'an integer' : `of type ${String(params.type)}`}`;
  return `${subject} ${e.message ?? 'is invalid'}`;
}
