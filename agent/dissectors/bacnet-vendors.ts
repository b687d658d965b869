/**
 * BACnet vendor identifiers (ASHRAE assigns them; the published list is at bacnet.org, "BACnet
 * Vendor IDs"). A subset: vendors of building, HVAC, lighting, fire and energy equipment met in
 * hospitals, plus the identifiers of the reference stacks.
 *
 * Each entry was checked against two open-source copies of the ASHRAE list, found with the search
 * tool: the BACnet Visual Test Shell (VTS, `VTS3/Sniffer/StringTables.cpp`, table `BACnetVendorID`,
 * "use the VTS utility VendorIdTable to update this table"; names as written there) and Wireshark's
 * `epan/dissectors/packet-bacapp.c` (`BACnetVendorIdentifiers`; same identifiers, some older names).
 * The installed tshark decodes 5, 7 and 24 to the same companies (make-clinical-udp-fixtures.sh).
 * Identifiers not listed here are reported by number only: never guessed.
 */
export const BACNET_VENDORS: ReadonlyMap<number, string> = new Map([
  [0, 'ASHRAE'],
  [1, 'NIST'],
  [2, 'The Trane Company'],
  [3, 'McQuay International'],
  [4, 'PolarSoft'],
  [5, 'Johnson Controls, Inc.'],
  [6, 'American Auto-Matrix'],
  [7, 'Siemens Schweiz AG (Formerly: Landis & Staefa Division Europe)'],
  [8, 'Delta Controls'],
  [9, 'Siemens Schweiz AG'],
  [10, 'Schneider Electric'],
  [11, 'TAC'],
  [14, 'Cimetrics Technology'],
  [16, 'United Technologies Carrier'],
  [17, 'Honeywell Inc.'],
  [18, 'Alerton / Honeywell'],
  [24, 'Automated Logic Corporation'],
  [28, 'KMC Controls, Inc.'],
  [32, 'Simplex'],
  [34, 'Notifier'],
  [35, 'Reliable Controls Corporation'],
  [36, 'Tridium Inc.'],
  [37, 'Sierra Monitor Corporation'],
  [39, 'Kieback & Peter GmbH & Co KG'],
  [53, 'DAIKIN Industries Ltd.'],
  [56, 'Liebert Corporation'],
  [77, 'Carel S.p.A.'],
  [80, 'Fr. Sauter AG'],
  [86, 'The Watt Stopper, Inc.'],
  [89, 'Saia-Burgess Controls, Ltd.'],
  [91, 'Novar Corp./Trend Control Systems Ltd.'],
  [105, 'PRIVA BV'],
  [113, 'Vertiv (Formerly Emerson Network Power)'],
  [127, 'ABB, Inc.'],
  [160, 'Rockwell Automation'],
  [176, 'Lutron Electronics Co., Inc.'],
  [178, 'LOYTEC Electronics GmbH'],
  [190, 'Danfoss Drives A/S'],
  [191, 'Eaton Corporation'],
  [222, 'WAGO Kontakttechnik GmbH & Co. KG'],
  [227, 'Grundfos Management A/S'],
  [245, 'Contemporary Control Systems, Inc.'],
  [260, 'BACnet Stack at SourceForge'],
  [264, 'Regin AB'],
  [313, 'Siemens Industry, Inc.'],
  [335, 'Schneider Electric'],
  [343, 'BACnet Interoperability Testing Services, Inc.'],
  [364, 'Distech Controls Inc.'],
  [415, 'Beckhoff Automation GmbH'],
  [423, 'BELIMO Automation AG'],
  [432, 'LG Electronics Inc.'],
]);
