/**
 * Fields of `dicom` observations (see dicom.ts), one interface per PDU, each field with the PS3.8 / PS3.7
 * item or attribute it comes from.
 */
/** Facts every `dicom` observation carries. */
export interface DicomCommonFields {
  /** The device's role in the association: `scu` sent the A-ASSOCIATE-RQ, `scp` answered it. Absent
   * when neither direction's start was seen. */
  role?: 'scu' | 'scp';
  /** Always false: the upper layer was read in clear text (DICOM over TLS is the TLS dissector's). */
  encrypted: false;
}

/** A-ASSOCIATE-RQ (PS3.8 9.3.2), about its sender, the SCU. */
export interface DicomAssociateRqFields extends DicomCommonFields {
  /** Which PDU the facts come from: the SCU's request. */
  pdu: 'A-ASSOCIATE-RQ';
  role: 'scu';
  /** The device's own AE title: the Calling-AE-title field (spaces trimmed). */
  ae_title?: string;
  /** Calling-AE-title field: the requester's AE title. */
  calling_ae_title?: string;
  /** Called-AE-title field: the AE title the requester asked for (the SCP's, if it agrees). */
  called_ae_title?: string;
  /** Application Context Item (10H) UID; `1.2.840.10008.3.1.1.1` for DICOM. */
  application_context?: string;
  /** Presentation Context Items (20H) proposed. */
  presentation_contexts: number;
  /** Abstract Syntax Sub-Items (30H): the SOP classes proposed, distinct, in order. */
  abstract_syntaxes: string[];
  /** PS3.6 names of `abstract_syntaxes`, same order (the UID itself when not in dicom-uids.ts). */
  abstract_syntax_names: string[];
  /** Transfer Syntax Sub-Items (40H) proposed, distinct over all contexts, in order. */
  transfer_syntaxes: string[];
  /** PS3.6 names of `transfer_syntaxes`, same order. */
  transfer_syntax_names: string[];
  /** Maximum Length Sub-Item (51H): the largest P-DATA-TF PDU it accepts; 0 = no limit. */
  max_pdu_length?: number;
  /** Implementation Class UID Sub-Item (52H): identifies the DICOM implementation (toolkit/product). */
  implementation_class_uid?: string;
  /** Implementation Version Name Sub-Item (55H), e.g. `OFFIS_DCMTK_367`, `PIXELMEDJAVA001`. */
  implementation_version_name?: string;
  /** User Identity Sub-Item (58H, PS3.7 D.3.3.7) type only: `username`, `username-passcode`,
   * `kerberos`, `saml`, `jwt`. The identity and passcode themselves are never read. */
  user_identity_type?: string;
}

/** A-ASSOCIATE-AC (PS3.8 9.3.3), about its sender, the SCP. */
export interface DicomAssociateAcFields extends DicomCommonFields {
  /** Which PDU the facts come from: the SCP's acceptance. */
  pdu: 'A-ASSOCIATE-AC';
  role: 'scp';
  /** The device's own AE title: the Called-AE-title (of the AC, else of the RQ). */
  ae_title?: string;
  /** Calling-AE-title: the SCU it accepted. */
  calling_ae_title?: string;
  /** Called-AE-title: its own AE title as the SCU addressed it. */
  called_ae_title?: string;
  /** Application Context Item (10H) UID. */
  application_context?: string;
  /** Presentation Context Items (21H) answered. */
  presentation_contexts: number;
  /** Of those, accepted (Result/Reason 0). */
  presentation_contexts_accepted: number;
  /** SOP classes of the accepted contexts, distinct (needs the RQ, to map context IDs; absent without it). */
  abstract_syntaxes?: string[];
  /** PS3.6 names of `abstract_syntaxes`. */
  abstract_syntax_names?: string[];
  /** SOP classes proposed and refused (needs the RQ). */
  rejected_abstract_syntaxes?: string[];
  /** Transfer syntaxes it chose for the accepted contexts, distinct. */
  transfer_syntaxes: string[];
  /** PS3.6 names of `transfer_syntaxes`. */
  transfer_syntax_names: string[];
  /** Maximum Length Sub-Item (51H); 0 = no limit. */
  max_pdu_length?: number;
  /** Implementation Class UID Sub-Item (52H). */
  implementation_class_uid?: string;
  /** Implementation Version Name Sub-Item (55H). */
  implementation_version_name?: string;
}

/** A-ASSOCIATE-RJ (PS3.8 9.3.4, Table 9-21), about its sender, the SCP that refused. */
export interface DicomAssociateRjFields extends DicomCommonFields {
  /** Which PDU the facts come from: the SCP's refusal. */
  pdu: 'A-ASSOCIATE-RJ';
  role: 'scp';
  /** Its AE title as the SCU addressed it (from the RQ, when seen). */
  ae_title?: string;
  /** The refused SCU's AE title (from the RQ, when seen). */
  calling_ae_title?: string;
  /** The AE title asked for (from the RQ, when seen). */
  called_ae_title?: string;
  /** `rejected-permanent` or `rejected-transient`. */
  reject_result: string;
  /** `service-user`, `service-provider-acse` or `service-provider-presentation`. */
  reject_source: string;
  /** PS3.8 wording: `no-reason-given`, `application-context-name-not-supported`,
   * `calling-AE-title-not-recognized`, `called-AE-title-not-recognized`, `protocol-version-not-supported`,
   * `temporary-congestion`, `local-limit-exceeded`; `reserved-<n>` otherwise. */
  reject_reason: string;
}

/** A-ABORT (PS3.8 9.3.8, Table 9-26), about its sender. */
export interface DicomAbortFields extends DicomCommonFields {
  /** Which PDU the facts come from: an abort. */
  pdu: 'A-ABORT';
  /** `service-user` (the application aborted) or `service-provider` (its upper layer did). */
  abort_source: string;
  /** With a service-provider source: `reason-not-specified`, `unrecognized-PDU`, `unexpected-PDU`,
   * `unrecognized-PDU-parameter`, `unexpected-PDU-parameter`, `invalid-PDU-parameter-value`. */
  abort_reason?: string;
}

/** P-DATA-TF (PS3.8 9.3.5): what the sender did over the association. */
export interface DicomPDataFields extends DicomCommonFields {
  /** Which PDU the facts come from: the messages of the association. */
  pdu: 'P-DATA-TF';
  /** DIMSE messages sent (Command Field (0000,0100), PS3.7 E.1): `C-ECHO-RQ`, `C-STORE-RQ`,
   * `C-FIND-RQ`, `C-MOVE-RQ`, `C-GET-RQ`, `N-ACTION-RQ`, ..., `C-STORE-RSP`...; distinct, in order. */
  dimse_commands: string[];
  /** Affected (0000,0002) or Requested (0000,0003) SOP Class UIDs of those messages, distinct. */
  sop_classes: string[];
  /** PS3.6 names of `sop_classes`. */
  sop_class_names: string[];
  /** Move Destination (0000,0600) of the first C-MOVE-RQ: the AE title images are sent to. */
  move_destination?: string;
  /* From the first C-STORE-RQ data set: the equipment that made the image (the sender itself when it
   * is the modality; a PACS or router forwards another device's). */
  /** Modality (0008,0060): `CT`, `MR`, `US`, `CR`, `DX`... */
  modality?: string;
  /** Manufacturer (0008,0070). */
  manufacturer?: string;
  /** Manufacturer's Model Name (0008,1090). */
  manufacturer_model_name?: string;
  /** Device Serial Number (0018,1000). */
  device_serial_number?: string;
  /** Software Versions (0018,1020), one entry per value. */
  software_versions?: string[];
  /** Station Name (0008,1010). */
  station_name?: string;
  /** Institution Name (0008,0080). */
  institution_name?: string;
  /** Institutional Department Name (0008,1040). */
  institutional_department_name?: string;
}

export type DicomFields = DicomAssociateRqFields | DicomAssociateAcFields | DicomAssociateRjFields | DicomAbortFields | DicomPDataFields;
