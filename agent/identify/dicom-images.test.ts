import { beforeAll, describe, expect, it } from 'vitest';
import { attributeDatasets, imageRoles } from './dicom-images.js';
import { factsFromExample } from './facts.js';
import { builtinFingerprintsDir, loadLibrary, type Library } from './index.js';

describe('image roles from the order of sightings', () => {
  it('the first sender is the origin, a later one a relay; storing others\' objects makes a sender an archive', () => {
    // Scanner: sent at 1, got it back from Orthanc at 5. Orthanc: received at 1, sent at 5.
    expect(imageRoles([{ sentMs: 1, received: true, otherSentMs: 5 }])).toEqual(['origin', 'receives-own-images']);
    expect(imageRoles([{ sentMs: 5, received: true, otherSentMs: 1 }])).toEqual(['relay', 'archive']);
    // A Storage SCP that never sends: no role (its SCP signatures speak for it).
    expect(imageRoles([{ sentMs: null, received: true, otherSentMs: 1 }])).toEqual([]);
    // Two senders at the same time: neither came first.
    expect(imageRoles([{ sentMs: 3, received: false, otherSentMs: 3 }])).toEqual(['origin']);
    expect(imageRoles([])).toEqual([]);
  });
});

describe('attributing data sets', () => {
  let library: Library;
  beforeAll(() => {
    library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
  });
  const dataset = { 'dicom.modality': 'US', 'dicom.manufacturer': 'Philips', 'dicom.manufacturer_model_name': 'EPIQ 7G', 'dicom.device_serial_number': 'SN1' };

  it('keeps them when nothing speaks against them', () => {
    const facts = factsFromExample({ mac_vendor: 'Philips Healthcare PCCI', 'dicom.image_role': ['origin'], ...dataset });
    expect(attributeDatasets(facts, library)).toEqual({ facts, images: null });
  });

  it('a relay or an archive: taken out, recorded as relayed images', () => {
    const facts = factsFromExample({ 'dicom.image_role': ['relay'], ...dataset });
    const r = attributeDatasets(facts, library);
    expect(r.facts.has('dicom.modality')).toBe(false);
    expect(r.facts.has('dicom.manufacturer_model_name')).toBe(false);
    expect(r.facts.get('dicom.image_role')).toEqual(['relay']);
    expect(r.images).toEqual({ attribution: 'relayed', because: ['relay: another device sent the same object earlier'], notes: ['images relayed from Philips EPIQ 7G'] });
  });

  it('a Manufacturer contradicting a maker named by the MAC registry: undetermined', () => {
    const dell = attributeDatasets(factsFromExample({ mac_vendor: 'Dell Inc.', ...dataset }), library);
    expect(dell.images?.attribution).toBe('undetermined');
    expect(dell.facts.has('dicom.manufacturer')).toBe(false);
    // Spelled otherwise, the same maker (vendors.yaml): no contradiction.
    const ge = factsFromExample({ mac_vendor: 'GE Healthcare', 'dicom.manufacturer': 'GE MEDICAL SYSTEMS', 'dicom.modality': 'CT' });
    expect(attributeDatasets(ge, library).images).toBeNull();
    // A NIC maker (no vendor in the library) says nothing.
    const intel = factsFromExample({ mac_vendor: 'Intel Corporate', ...dataset });
    expect(attributeDatasets(intel, library).images).toBeNull();
  });
});
