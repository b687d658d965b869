/**
 * The device object as JSON text, built for the API's answers without the object's most expensive
 * part: the `classification` explanation (half the bytes of a device) is the stored
 * `classifications.result` spliced in as it is, never parsed and serialised again. The text is the
 * bytes the routes' schema serialiser (fast-json-stringify) made of the device object before: the
 * keys of device-json.ts in the schema's order, except `derived` (an optional union there), which
 * that serialiser wrote last, after `risk`, and so does this. api/json-text.test.ts compares the
 * two on real ingests, hostile strings included.
 *
 * Why the splice is exact: the classifier stores `JSON.stringify(classification)` (inventory/
 * classifier.ts), and JSON.stringify's output is its own re-serialisation (JSON.parse keeps key order
 * and every value; numbers print back the same shortest form; lone surrogates stay \u escapes).
 */
import type { Device } from './device-json.js';
import { NO_RISK, type Finding, type Risk } from './finding-json.js';

/** The fields of a device object before its identity: what its rows and child rows say. */
export type DeviceHead = Omit<Device, 'vendor' | 'model' | 'category' | 'criticality' | 'os' | 'firmware' | 'confidence' | 'medical' | 'classification' | 'findings' | 'risk'>;

/** The head with the identity fields read from the classification's columns (all but the explanation). */
export type DeviceWithoutExplanation = Omit<Device, 'classification' | 'findings' | 'risk'>;

/** The tail of a device without findings (most devices): computed once. */
const NO_FINDINGS = `"findings":[],"risk":${JSON.stringify(NO_RISK)}}`;

/**
 * `device` (every field up to `medical`, in the object's order, without `derived`), then
 * `classification` from its stored JSON text (null when not classified), then the findings and risk
 * blocks (none: no findings), then `derived` when the device has one.
 */
export function deviceJsonText(
  device: Omit<DeviceWithoutExplanation, 'derived'>, classificationJson: string | null, findings?: { findings: Finding[]; risk: Risk }, derived?: Device['derived'],
): string {
  const head = JSON.stringify(device);
  let tail = findings === undefined ? NO_FINDINGS : `"findings":${JSON.stringify(findings.findings)},"risk":${JSON.stringify(findings.risk)}}`;
  if (derived !== undefined) tail = `${tail.slice(0, -1)},"derived":${JSON.stringify(derived)}}`;
  return `${head.slice(0, -1)},"classification":${classificationJson ?? 'null'},${tail}`;
}
