/**
 * Who made the images a device sends. A C-STORE data set (Modality, Manufacturer, Model, Serial, Software
 * Versions) describes the equipment that produced the image (PS3.3 C.7.5.1 General Equipment), which is
 * the sender only when the sender is that equipment: an archive or router sends other devices' images on,
 * and on the wire it looks like a modality (same toolkit, same storage contexts). Three signals, in order:
 *
 * (a) relay: another device sent the same object (same SOP Instance UID, compared as a salted hash) earlier
 *     by capture time, so this device sent it on (read order does not matter: the store keeps each
 *     sender's earliest sighting, store/instances.ts);
 * (b) archive: a device that sends objects and also receives, as a Storage SCP, objects another device
 *     made (images it made itself, sent back to it, do not count: a modality may run a Storage SCP too);
 * (c) manufacturer mismatch: the data set's Manufacturer is not the maker the MAC registry names, when
 *     the library knows that registry name as a maker of finished products (a vendor-only signature that
 *     yields a vendor: the medical manufacturers of medical-oui*.yaml, the IT makers of devices.yaml). A
 *     NIC or module maker (Intel, Realtek, Espressif: no vendor yielded) says nothing against it.
 *
 * When none speaks against the data set, its facts are the sender's (the dicom-modality-*, dicom-manufacturer
 * signatures read them). Otherwise they are taken out of the facts identification reads, so that no
 * signature can make the sender that modality, model or maker, and the classification records
 * "images relayed from <manufacturer model>" instead (Classification.images).
 */
import type { Facts } from './facts.js';
import { canonicalVendor, type Library } from './library.js';

/** One object a device sent or received, as store/instances.ts reads it (capture times in ms). */
export interface InstanceInvolvement {
  /** Earliest time this device sent it; null when it only received it. */
  sentMs: number | null;
  /** This device received it as a Storage SCP. */
  received: boolean;
  /** Earliest time another device sent it; null when none did. */
  otherSentMs: number | null;
}

/**
 * Values of the derived path `dicom.image_role`: `origin` (it sent an object first), `relay` (it sent an
 * object another device had sent earlier), `archive` (it sends objects and receives objects others
 * made), `receives-own-images` (its Storage SCP received only objects it had sent first itself).
 */
export type ImageRole = 'origin' | 'relay' | 'archive' | 'receives-own-images';

/** The image roles of a device from the objects it sent and received. */
export function imageRoles(objects: readonly InstanceInvolvement[]): ImageRole[] {
  let originated = 0;
  let relayed = 0;
  let own = 0;
  let others = 0;
  for (const o of objects) {
    const otherFirst = o.otherSentMs !== null && (o.sentMs === null || o.otherSentMs < o.sentMs);
    if (o.sentMs !== null) {
      if (otherFirst) relayed++;
      else originated++;
    }
    if (o.received) {
      if (o.sentMs !== null && !otherFirst) own++;
      else others++;
    }
  }
  const roles: ImageRole[] = [];
  if (originated > 0) roles.push('origin');
  if (relayed > 0) roles.push('relay');
  if (originated + relayed > 0 && others > 0) roles.push('archive');
  if (own > 0 && others === 0) roles.push('receives-own-images');
  return roles;
}

/** The data set's facts: about the equipment that made the image. */
const DATASET_PATHS = [
  'dicom.modality', 'dicom.manufacturer', 'dicom.manufacturer_model_name', 'dicom.device_serial_number',
  'dicom.software_versions', 'dicom.station_name',
] as const;

/** Why the images a device sends were not taken as its own identity (in the classification result). */
export interface ImageAttribution {
  /** `relayed`: (a) or (b) holds; `undetermined`: only (c). */
  attribution: 'relayed' | 'undetermined';
  /** The signals that held, in order. */
  because: string[];
  /** "images relayed from <manufacturer model>", one per make and model its data sets name. */
  notes: string[];
}

/** The first word of a maker's canonical name, lower case: "GE Healthcare" and "GE MEDICAL" agree. */
function makerWord(library: Library, name: string): string {
  return canonicalVendor(library.vendors, name.trim()).toLowerCase().split(/[^\p{L}\p{N}]+/u).find((w) => w !== '') ?? '';
}

/** The maker the library names for the device's MAC registry vendor, if it knows it as one. */
function macMaker(facts: Facts, library: Library): string | null {
  for (const { sig } of library.candidates.vendorHits(facts)) {
    for (const y of sig.yields) {
      if (y.field === 'vendor' && typeof y.template === 'string' && y.placeholders.length === 0) return y.template;
    }
  }
  return null;
}

const texts = (facts: Facts, path: string): string[] =>
  [...new Set((facts.get(path) ?? []).filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim()))];

/** "Philips EPIQ 7G": makes and models paired when the data sets name as many of each. */
function relayedFrom(facts: Facts): string[] {
  const makers = texts(facts, 'dicom.manufacturer');
  const models = texts(facts, 'dicom.manufacturer_model_name');
  const modalities = texts(facts, 'dicom.modality');
  let names: string[];
  if (makers.length === models.length && makers.length > 0) names = makers.map((m, i) => `${m} ${models[i]}`);
  else names = [...makers, ...models];
  if (names.length === 0) names = modalities.map((m) => `a ${m} modality`);
  return names.map((n) => `images relayed from ${n}`);
}

/**
 * The facts identification reads: the device's own, or, when a signal speaks against the data sets it
 * sent being its own, without the data set's facts (and why).
 */
export function attributeDatasets(facts: Facts, library: Library): { facts: Facts; images: ImageAttribution | null } {
  if (!DATASET_PATHS.some((p) => facts.has(p))) return { facts, images: null };
  const roles = facts.get('dicom.image_role') ?? [];
  const because: string[] = [];
  if (roles.includes('relay')) because.push('relay: another device sent the same object earlier');
  if (roles.includes('archive')) because.push('archive: it also stores objects other devices sent first');
  const mac = macMaker(facts, library);
  const dataset = texts(facts, 'dicom.manufacturer');
  const mismatch = mac !== null ? dataset.filter((m) => makerWord(library, m) !== makerWord(library, mac)) : [];
  if (mismatch.length > 0) because.push(`manufacturer: the data set names ${mismatch.join(', ')}, its MAC ${mac}`);
  if (because.length === 0) return { facts, images: null };
  const kept = new Map(facts);
  for (const p of DATASET_PATHS) kept.delete(p);
  const relayed = roles.includes('relay') || roles.includes('archive');
  return { facts: kept, images: { attribution: relayed ? 'relayed' : 'undetermined', because, notes: relayedFrom(facts) } };
}
