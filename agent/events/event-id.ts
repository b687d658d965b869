/**
 * An event's id says what the event says: a hash of its type, the subject (a device's MAC or routed
 * IP, an interface, nothing for sensor-wide events) and its facts. Reading the same capture again,
 * even with --force, computes the same ids, and the store appends an id once.
 */
import { hash } from 'node:crypto';
import type { EventType } from '../export/event.js';

/** 40 hex characters (SHA-1: CEF's externalId holds 40; collisions are not an attack surface here). */
export function eventId(type: EventType, subject: string, ...facts: readonly (string | number | null)[]): string {
  return hash('sha1', JSON.stringify([type, subject, ...facts]), 'hex');
}
