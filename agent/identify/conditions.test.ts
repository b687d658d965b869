/**
 * Condition kinds, one by one, on facts as the engine sees them.
 */
import { describe, expect, it } from 'vitest';
import { compileMatch, evaluateMatch } from './conditions.js';
import { factsFromExample } from './facts.js';
import type { Match } from './schema.js';

const holds = (match: Match, evidence: Record<string, unknown>) => evaluateMatch(compileMatch(match), factsFromExample(evidence));

describe('conditions', () => {
  it('equals is case-sensitive, iequals is not; a bare value means equals', () => {
    expect(holds({ 'dhcp.vendor_class': 'MSFT 5.0' }, { 'dhcp.vendor_class': 'MSFT 5.0' })).not.toBeNull();
    expect(holds({ 'dhcp.vendor_class': 'MSFT 5.0' }, { 'dhcp.vendor_class': 'msft 5.0' })).toBeNull();
    expect(holds({ 'dhcp.vendor_class': { iequals: 'MSFT 5.0' } }, { 'dhcp.vendor_class': 'msft 5.0' })).not.toBeNull();
    expect(holds({ 'snmp.version': 2 }, { 'snmp.version': 2 })).not.toBeNull();
    expect(holds({ 'snmp.community_seen': true }, { 'snmp.community_seen': true })).not.toBeNull();
  });

  it('holds when any observed value matches, looking inside array values', () => {
    const m: Match = { 'lldp.capabilities_enabled': 'telephone' };
    expect(holds(m, { 'lldp.capabilities_enabled': [['bridge'], ['station', 'telephone']] })?.matched).toEqual([{ path: 'lldp.capabilities_enabled', value: 'telephone' }]);
    expect(holds(m, { 'lldp.capabilities_enabled': [['bridge']] })).toBeNull();
  });

  it('prefix, contains, and oid_prefix on arc boundaries', () => {
    expect(holds({ 'dhcp.vendor_class': { prefix: 'udhcp ' } }, { 'dhcp.vendor_class': 'udhcp 1.22.1' })).not.toBeNull();
    expect(holds({ 'http.server': { contains: 'IIS' } }, { 'http.server': 'Microsoft-IIS/10.0' })).not.toBeNull();
    const cisco: Match = { 'snmp.sys_object_id': { oid_prefix: '1.3.6.1.4.1.9' } };
    expect(holds(cisco, { 'snmp.sys_object_id': '1.3.6.1.4.1.9.1.516' })).not.toBeNull();
    expect(holds(cisco, { 'snmp.sys_object_id': '1.3.6.1.4.1.9' })).not.toBeNull();
    expect(holds(cisco, { 'snmp.sys_object_id': '1.3.6.1.4.1.99.1' })).toBeNull();
    expect(holds({ 'snmp.sys_object_id': { oid_prefix: '1.3.6.1.4.1.9.' } }, { 'snmp.sys_object_id': '.1.3.6.1.4.1.9.2' })).not.toBeNull();
  });

  it('regex with flags returns named captures', () => {
    const m: Match = { 'http.user_agent': { regex: 'android (?<release>\\d+)', flags: 'i' } };
    expect(holds(m, { 'http.user_agent': 'Dalvik/2.1.0 (Linux; U; Android 10; X)' })?.groups).toEqual({ release: '10' });
  });

  it('range on numbers and numeric strings, in on a set', () => {
    const r: Match = { 'dhcp.lease_seconds': { range: { min: 60, max: 3600 } } };
    expect(holds(r, { 'dhcp.lease_seconds': 600 })).not.toBeNull();
    expect(holds(r, { 'dhcp.lease_seconds': '600' })).not.toBeNull();
    expect(holds(r, { 'dhcp.lease_seconds': 86400 })).toBeNull();
    expect(holds(r, { 'dhcp.lease_seconds': 'forever' })).toBeNull();
    expect(holds({ 'dicom.modality': { in: ['CR', 'DX'] } }, { 'dicom.modality': ['MR', 'DX'] })?.matched[0].value).toBe('DX');
  });

  it('order compares a whole DHCP option list, given as text or numbers', () => {
    const m: Match = { 'dhcp.parameter_request_list': { order: [1, 3, 6, 15] } };
    expect(holds(m, { 'dhcp.parameter_request_list': '1,3,6,15' })).not.toBeNull();
    expect(holds(m, { 'dhcp.parameter_request_list': '1,3,15,6' })).toBeNull();
    expect(holds(m, { 'dhcp.parameter_request_list': '1,3,6,15,31' })).toBeNull();
    expect(holds({ 'dhcpv6.option_request_list': { order: '23,24' } }, { 'dhcpv6.option_request_list': [[23, 24]] })).not.toBeNull();
  });

  it('ports: any and all, by number (any transport) or transport/port', () => {
    expect(holds({ service: { ports: { any: [104, 'tcp/11112'] } } }, { services: ['tcp/80', 'tcp/11112'] })?.matched).toEqual([{ path: 'service', value: ['tcp/11112'] }]);
    expect(holds({ service: { ports: { all: ['tcp/80', 'tcp/443'] } } }, { services: ['tcp/80'] })).toBeNull();
    expect(holds({ service: { ports: { all: ['tcp/80', 'tcp/443'] } } }, { services: ['tcp/443', 'tcp/80'] })).not.toBeNull();
    expect(holds({ service: { ports: { any: [104] } } }, { services: ['tcp/1104'] })).toBeNull();
  });

  it('exists, any, not, and oui_vendor', () => {
    expect(holds({ 'dhcp.vendor_class': { exists: true } }, { 'dhcp.vendor_class': 'x' })).not.toBeNull();
    const m: Match = { oui_vendor: '^philips', any: [{ 'mdns.service_types': '_ipp._tcp' }, { 'lldp.hostname': { prefix: 'mx' } }], not: { mac_vendor: { contains: 'Lighting' } } };
    expect(holds(m, { mac_vendor: 'Philips Patient Monitoring', 'lldp.hostname': 'mx800' })?.matched.map((x) => x.path)).toEqual(['mac_vendor', 'lldp.hostname']);
    expect(holds(m, { mac_vendor: 'Philips Lighting BV', 'lldp.hostname': 'mx800' })).toBeNull();
    expect(holds(m, { mac_vendor: 'Philips Patient Monitoring' })).toBeNull();
    expect(holds({ 'dhcp.hostname': { prefix: 'a' }, 'dhcp.vendor_class': { exists: false } }, { 'dhcp.hostname': 'abc' })).not.toBeNull();
  });

  it('derives the protocols of example evidence', () => {
    expect(holds({ protocol: 'dicom' }, { 'dicom.modality': 'CT' })).not.toBeNull();
    expect(holds({ protocol: 'dicom' }, { 'hl7.sending_application': 'X' })).toBeNull();
  });

  it('indexes a signature under a protocol path rather than a device-level one', () => {
    expect(compileMatch({ mac_vendor: 'x', 'dhcp.vendor_class': 'y' }).requiredPaths).toEqual(['dhcp.vendor_class']);
    expect(compileMatch({ any: [{ 'cdp.hostname': 'a' }, { 'lldp.hostname': 'b' }] }).requiredPaths).toEqual(['cdp.hostname', 'lldp.hostname']);
  });
});
