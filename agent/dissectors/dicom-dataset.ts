/**
 * The device and site attributes of a C-STORE data set, read with the `dicom-parser` library: the only
 * data set attributes auscult ever reads (PS3.6 tags below). Patient, study and series attributes are
 * never looked at.
 *
 * The allow-list: Modality (0008,0060) of the General Series module (PS3.3 C.7.3.1), and from the
 * General Equipment module (PS3.3 C.7.5.1), which describes the equipment that produced the
 * instances: Manufacturer (0008,0070), Institution Name (0008,0080), Station Name
 * (0008,1010), Institutional Department Name (0008,1040), Manufacturer's Model Name (0008,1090),
 * Device Serial Number (0018,1000), Software Versions (0018,1020). Each names a product, a machine, a
 * site or a department, never a person. (PS3.15 Annex E's de-identification profile removes several
 * of them because, beside the patient's attributes, they narrow down who was imaged; auscult keeps no
 * patient attribute, so alone they identify equipment.) Each value must have its VR's shape (PS3.5
 * 6.2): CS upper-case letters, digits, space and underscore, 16 characters; SH 16 and LO 64 characters
 * without control characters or backslash. A value outside its shape is dropped and counted; so is one
 * with ISO 2022 escape sequences (ESC), which auscult does not decode.
 */
import { createRequire } from 'node:module';
import type { DataSet, Element } from 'dicom-parser';
import { countDropped } from './allow-list.js';

// Loaded on the first C-STORE data set: most captures carry none, and the library costs 20 ms to load.
const require = createRequire(import.meta.url);
let parserModule: typeof import('dicom-parser') | null = null;
const dicomParser = (): typeof import('dicom-parser') => (parserModule ??= require('dicom-parser') as typeof import('dicom-parser'));
import type { DicomPDataFields } from './dicom-fields.js';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
} from './dicom-uids.js';

/** The only data set attributes ever read (dicom-parser tag keys), their field names and VRs (PS3.6). */
const DEVICE_TAGS = [
  ['x00080060', 'modality', 'CS'], ['x00080070', 'manufacturer', 'LO'], ['x00080080', 'institution_name', 'LO'],
  ['x00081010', 'station_name', 'SH'], ['x00081040', 'institutional_department_name', 'LO'],
  ['x00081090', 'manufacturer_model_name', 'LO'], ['x00181000', 'device_serial_number', 'LO'], ['x00181020', 'software_versions', 'LO'],
] as const;
/** The last of them in tag order: once the parser is past it, the data set has told all we want. */
const LAST_DEVICE_TAG = 'x00181020';
/** Longest value of those VRs (LO: 64 characters, PS3.5 6.2); a longer one is not believed. */
const MAX_LO = 64;
/** Characters of each VR (PS3.5 6.2); the VRs' character repertoires are checked in valueShapeOk. */
const MAX_CHARS: Record<string, number> = { CS: 16, SH: 16, LO: MAX_LO };

/** Encoding of a data set without a negotiated transfer syntax at hand: big endian if the first
 * group reads 00 08, explicit VR if a VR's two capital letters follow the first tag. */
function guessSyntax(ds: Buffer): string {
  if (ds[0] === 0 && ds[1] !== 0) return EXPLICIT_VR_BIG_ENDIAN;
  const isCap = (c: number) => c >= 0x41 && c <= 0x5a;
  return isCap(ds[4]) && isCap(ds[5]) ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
}

export type DeviceTagFields = Pick<DicomPDataFields, 'modality' | 'manufacturer' | 'manufacturer_model_name' | 'device_serial_number' |
  'software_versions' | 'station_name' | 'institution_name' | 'institutional_department_name'>;

/**
 * The device and site attributes of a C-STORE data set (or of as much of it as came), parsed with
 * dicom-parser. `enough`: nothing more is to be learnt from later bytes (the data set ended, or the
 * parser went past the last wanted tag).
 *
 * A malformed data set must not turn patient data into a "device tag": an element is believed only
 * when the elements around it are in ascending tag order (PS3.5 7.1: a relabelled or misread element
 * breaks the order), it has the VR the dictionary gives (explicit VR), and its value is short text
 * without control characters (a lying length that swallows the next elements' headers is not).
 */
export function deviceTags(ds: Buffer, transferSyntax: string | undefined, ended: boolean): { tags: DeviceTagFields; enough: boolean } {
  const tags: DeviceTagFields = {};
  if (ds.length < 8) return { tags, enough: ended };
  const syntax = transferSyntax ?? guessSyntax(ds);
  if (syntax === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) return { tags, enough: true }; // not inflated: its tags are not read
  let set: DataSet | undefined;
  try {
    set = dicomParser().parseDicom(ds, { TransferSyntaxUID: syntax });
  } catch (e) {
    // A data set cut short: dicom-parser throws, with what it read so far.
    set = (e as { dataSet?: DataSet } | null)?.dataSet;
  }
  if (set === undefined || set.elements === undefined) return { tags, enough: ended };
  const arr = set.byteArray;
  // Top-level elements in the order they were read; trust stops before the first break in tag order
  // (the element before the break may be the relabelled one), and an unconfirmed last element.
  const read = Object.values(set.elements).filter((el) => typeof el.dataOffset === 'number').sort((a, b) => a.dataOffset - b.dataOffset);
  let trusted = read.length - (ended ? 0 : 1);
  for (let i = 1; i < read.length; i++) {
    if (read[i].tag <= read[i - 1].tag) {
      trusted = Math.min(trusted, i - 1);
      break;
    }
  }
  const believed = new Map<string, Element>();
  let enough = ended;
  for (let i = 0; i < trusted; i++) {
    believed.set(read[i].tag, read[i]);
    if (read[i].tag >= LAST_DEVICE_TAG) enough = true; // Software Versions, confirmed by the next element, or past it
  }
  const value = (el: Element | undefined): Buffer | undefined =>
    el !== undefined && el.length > 0 && el.length <= MAX_LO * 8 && el.dataOffset + el.length <= arr.length
      ? Buffer.from(arr.buffer, arr.byteOffset + el.dataOffset, el.length) : undefined;
  // Specific Character Set (0008,0005): ISO_IR 192 is UTF-8; the default and Latin-1 read as latin1.
  const utf8 = value(believed.get('x00080005'))?.toString('latin1').includes('ISO_IR 192') ?? false;
  for (const [tag, name, vr] of DEVICE_TAGS) {
    const el = believed.get(tag);
    const raw = value(el);
    if (el === undefined || raw === undefined || (el.vr !== undefined && el.vr !== vr)) continue;
    let end = raw.length;
    while (end > 0 && (raw[end - 1] === 0 || raw[end - 1] === 0x20)) end--;
    const values = raw.toString(utf8 ? 'utf8' : 'latin1', 0, end).split('\\').map((v) => v.trim());
    // Only Software Versions may hold several values (VM 1-n); a backslash elsewhere is out of shape.
    if ((values.length > 1 && name !== 'software_versions') || !values.every((v) => valueShapeOk(v, vr))) {
      countDropped('dicom');
      continue;
    }
    const kept = values.filter((v) => v !== '');
    if (kept.length === 0) continue;
    if (name === 'software_versions') tags.software_versions = kept.slice(0, 8);
    else tags[name] = kept.join('\\');
  }
  return { tags, enough };
}

/** A value of VR `vr` (PS3.5 6.2): CS from its repertoire; SH and LO without control characters (C0,
 * DEL, C1, ESC included) or the replacement character of an undecodable byte, within their length. */
function valueShapeOk(v: string, vr: string): boolean {
  if ([...v].length > MAX_CHARS[vr]) return false;
  // eslint-disable-next-line no-control-regex
  return vr === 'CS' ? /^[A-Z0-9_ ]*$/.test(v) : !/[\x00-\x1f\x7f-\x9f\ufffd]/.test(v);
}
