/**
 * The `clinical` block of the device object, end to end on the recorded clinical captures: roles, AE
 * titles, DICOM implementation and device tags, HL7 applications, SDC location, and whether each
 * protocol was seen in clear text or inside TLS (dicom-tls.pcap: dcmtk over TLS on the dicom-tls port
 * 2762 and on a non-standard port between known DICOM peers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { Pipeline } from '../agent/pipeline.js';
import type { DeviceDetail } from '../agent/store/device-json.js';
import { Store } from '../agent/store/store.js';

async function devicesOf(...captures: string[]): Promise<DeviceDetail[]> {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-clinical-'));
  try {
    const store = new Store(join(dir, 'c.db'));
    const pipeline = new Pipeline(store);
    for (const c of captures) await readCaptureFile(join(import.meta.dirname, c), pipeline);
    pipeline.finish();
    const reader = store.reader;
    const out = [...reader.allDevices()].map((d) => reader.deviceDetail(d.id)!);
    store.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const byMac = (ds: DeviceDetail[], mac: string) => ds.find((d) => d.mac === mac)!;
const protocol = (d: DeviceDetail, p: string) => d.clinical?.protocols.find((x) => x.protocol === p);

describe('the clinical block', () => {
  it('DICOM: roles, AE titles, implementation, device tags; clear text', async () => {
    const ds = await devicesOf('dicom-store.pcap');
    const ct = byMac(ds, '44:4b:5d:1e:40:20');
    const pacs = byMac(ds, '00:1d:4a:1e:40:10');
    expect(protocol(ct, 'dicom')).toMatchObject({ roles: ['scu'], cleartext: true, encrypted: false });
    expect(protocol(pacs, 'dicom')).toMatchObject({ roles: ['scp'], cleartext: true, encrypted: false });
    expect(ct.clinical?.cleartext).toBe(true);
    const f = ct.clinical!.facts.dicom;
    expect(f.calling_ae_title).toContain('CT_ROOM3');
    expect(f.implementation_version_name).toContain('OFFIS_DCMTK_367');
    expect(f.modality).toEqual(['CT']);
    expect(f.manufacturer_model_name).toEqual(['Revolution CT']);
    expect(f.dimse_commands).toContainEqual(expect.arrayContaining(['C-STORE-RQ']));
  });

  it('encrypted DICOM: on the dicom-tls port, and TLS between known DICOM peers on another port', async () => {
    const ds = await devicesOf('dicom-tls.pcap');
    const ct = byMac(ds, '44:4b:5d:1e:40:20');
    const ws = byMac(ds, '00:1b:21:1e:40:50');
    const pacs = byMac(ds, '00:1d:4a:1e:40:10');
    // ws only ever spoke DICOM inside TLS on 2762: nothing readable, but known to be DICOM.
    expect(protocol(ws, 'dicom')).toMatchObject({ cleartext: false, encrypted: true });
    expect(ws.clinical?.cleartext).toBe(false);
    // ct echoed in clear on 104, then stored over TLS on 11114 to the same PACS.
    expect(protocol(ct, 'dicom')).toMatchObject({ cleartext: true, encrypted: true });
    expect(protocol(pacs, 'dicom')).toMatchObject({ cleartext: true, encrypted: true });
    const ports = Object.fromEntries(ct.peers.filter((p) => p.transport === 'tcp').map((p) => [p.port, p.tls]));
    expect(ports).toEqual({ 104: false, 11114: true });
    // The C-STORE went inside TLS: no device tag of it was readable.
    expect(ct.clinical!.facts.dicom?.modality).toBeUndefined();
  });

  it('HL7, SDC location and no block without clinical traffic', async () => {
    const ds = await devicesOf('hl7-pcd01.pcap', 'wsd-sdc.pcap', 'lan-dhcp.pcap');
    const gw = byMac(ds, '00:09:fb:40:00:21');
    expect(protocol(gw, 'hl7')).toMatchObject({ roles: ['sender'], cleartext: true });
    expect(gw.clinical!.facts.hl7.sending_facility).toEqual(['GENERAL_HOSPITAL']);
    expect(gw.clinical!.facts.hl7.pcd_device_eui64s).toContainEqual(expect.arrayContaining(['0123456789ABCDEF']));
    const vent = byMac(ds, '00:30:e6:2e:00:61');
    expect(protocol(vent, 'sdc')).toMatchObject({ roles: ['target'], cleartext: true });
    expect(vent.clinical!.facts.sdc.location_bed).toEqual(['BED7']);
    expect(byMac(ds, '00:1b:21:0a:00:21').clinical).toBeNull();
  });
});
