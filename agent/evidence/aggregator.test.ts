import { describe, expect, it } from 'vitest';
import { parseMac } from '../decode/format.js';
import type { AddressBinding, ConversationMark, DeviceDerivation, Observation, PacketOutput } from '../dissectors/types.js';
import { ObservationAggregator } from './aggregator.js';

const MAC = '00:09:fb:0a:00:31';
const ack: Observation<'dhcp'> = {
  device: { mac: MAC }, tsMs: 1000, source: 'dhcp',
  fields: { message_type: 'ACK', client_mac: MAC, assigned_ip: '10.20.0.101', lease_seconds: 600 },
};
const binding: AddressBinding = { kind: 'address-binding', mac: MAC, ip: '10.20.0.101', protocol: 'dhcp', leaseSeconds: 600, tsMs: 1000 };

describe('ObservationAggregator', () => {
  it('counts a repeated packet once per sighting, and hands over its typed outputs at every sighting', () => {
    const a = new ObservationAggregator();
    const list: PacketOutput[] = [ack, binding];
    a.observeList(list, 1000);
    a.observeList(list, 5000); // the repeat cache gives the same list again
    const batch = a.drain();
    expect(batch.observations).toEqual([{
      mac: parseMac(MAC), ip: null, source: 'dhcp', fieldsJson: JSON.stringify(ack.fields), firstSeenMs: 1000, lastSeenMs: 5000, count: 2,
    }]);
    // Each sighting binds again, at its own time: the inventory widens the binding's time range.
    expect(batch.bindings).toEqual([
      { mac: parseMac(MAC), ip: '10.20.0.101', protocol: 'dhcp', leaseSeconds: 600, tsMs: 1000 },
      { mac: parseMac(MAC), ip: '10.20.0.101', protocol: 'dhcp', leaseSeconds: 600, tsMs: 5000 },
    ]);
    expect(a.drain()).toEqual({ observations: [], bindings: [], conversations: [], sightings: [], derivations: [] });
  });

  it('drops a binding without a usable MAC', () => {
    const a = new ObservationAggregator();
    a.output({ ...binding, mac: '00:00:00:00:00:00' });
    a.output({ ...binding, mac: 'not a mac' });
    expect(a.drain().bindings).toEqual([]);
  });

  it('hands over each derived device once per origin, at its earliest message', () => {
    const a = new ObservationAggregator();
    const d: DeviceDerivation = {
      kind: 'derived-device', mac: '00:09:fb:4c:10:01', from: { mac: '00:09:fb:40:00:21', ip: '10.40.0.21' }, protocol: 'hl7',
      field: 'OBX-18', messageType: 'ORU^R01', tsMs: 5000,
    };
    a.output(d);
    a.output({ ...d, tsMs: 1000 }); // the gateway's next report, read earlier (another connection)
    a.output({ ...d, mac: '01:00:5e:00:00:01' }); // a group MAC is no device
    expect(a.drain().derivations).toEqual([{
      mac: parseMac('00:09:fb:4c:10:01'), fromMac: parseMac('00:09:fb:40:00:21'), fromIp: '10.40.0.21', protocol: 'hl7', field: 'OBX-18',
      messageType: 'ORU^R01', tsMs: 1000,
    }]);
  });

  it('hands over each conversation mark once, in both orientations (the inventory knows the server)', () => {
    const a = new ObservationAggregator();
    const mark: ConversationMark = {
      kind: 'conversation-mark', protocol: 'tls', srcIp: '10.0.0.2', srcPort: 50000, dstIp: '10.0.0.1', dstPort: 443, tsMs: 1,
    };
    a.output(mark);
    a.output({ ...mark, srcIp: '10.0.0.1', srcPort: 443, dstIp: '10.0.0.2', dstPort: 50000 }); // the server's hello
    a.output({ ...mark, tsMs: 2 }); // a reconnection from the same port
    expect(a.drain().conversations).toEqual([
      { protocol: 'tls', a: '10.0.0.2', b: '10.0.0.1', port: 443 },
      { protocol: 'tls', a: '10.0.0.1', b: '10.0.0.2', port: 50000 },
    ]);
  });
});
