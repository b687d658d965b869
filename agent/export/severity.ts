/**
 * auscult's severity (event.ts) on each format's scale. One table, so the README and the code agree.
 *
 * CEF: 0-10 (0-3 Low, 4-6 Medium, 7-8 High, 9-10 Very-High). LEEF `sev`: 1-10. OCSF `severity_id`:
 * 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. ECS `event.severity`: the OCSF numbers (ECS
 * leaves the scale to the source). Syslog (RFC 5424 §6.2.1): 6 Informational ... 2 Critical.
 */
import type { Severity } from './event.js';

export interface SeverityScales {
  cef: number;
  leef: number;
  ocsf: number;
  ecs: number;
  syslog: number;
}

export const SEVERITY_SCALES: Readonly<Record<Severity, SeverityScales>> = {
  info: { cef: 1, leef: 1, ocsf: 1, ecs: 1, syslog: 6 },
  low: { cef: 3, leef: 3, ocsf: 2, ecs: 2, syslog: 5 },
  medium: { cef: 5, leef: 5, ocsf: 3, ecs: 3, syslog: 4 },
  high: { cef: 8, leef: 8, ocsf: 4, ecs: 4, syslog: 3 },
  critical: { cef: 10, leef: 10, ocsf: 5, ecs: 5, syslog: 2 },
};

/** OCSF severity captions (the `severity` sibling of `severity_id`). */
export const OCSF_SEVERITY_NAMES: Readonly<Record<number, string>> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical' };

/** Device inventory records carry no alarm: the lowest level of each scale that means "information". */
export const DEVICE_RECORD_SEVERITY: Severity = 'info';
