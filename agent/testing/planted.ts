/**
 * Test support: the patient data planted in the clinical fixtures (HL7 PID/NK1/PV1/OBX-5, DICOM patient
 * tags, POCT1-A PT/OBS, SDC patient context scopes, IntelliVue patient fields), and the same names in the
 * forms that slip past a filter looking for them; and DICOM SOP Instance UIDs, kept only as salted
 * hashes. The planted-data test and the fuzzer both prove these absent from every file and output.
 */
export const PLANTED: readonly string[] = ['DOE^JANE', 'MRN-4711-PLANTED', '19450317', 'ROE^RICHARD-PLANTED', '987654', 'PLANTED-OBX5-TEXT',
  // wsd-sdc.pcap: the name in a vendor scope, URL-encoded, and the scope itself.
  'DOE%5EJANE', 'bedside-context',
  // hl7-escaped.pcap: the name HL7-escaped in MSH-3/4 (and PID), as \S\ and as \X..\ hex.
  'DOE\\S\\JANE', '444F455E4A414E45',
  // dicom-escaped.pcap: the ideographic name (JIS X 0208 between ISO 2022 escapes).
  '\x1b$B;3ED\x1b(B',
  // SOP Instance UIDs (dicom-store.pcap's CT image, dicom-relay.pcap's US image): identification follows
  // them from sender to sender, but keeps only a salted hash.
  '2.25.271828182845904523536028747135266249', '2.25.299792458602214076662607015141592653'];

/** Each planted value with the form JSON gives it (`\\`, `\u001b`: stored fields and API bodies are JSON). */
const FORMS: readonly (readonly [string, string])[] = PLANTED.map((p) => [p, JSON.stringify(p).slice(1, -1)]);

/**
 * The planted values found in `bytes`, as sent or as JSON writes them. `letters`: only the values that
 * are not all digits (a birth date, an id), for text in which numbers are counters (a fuzzer's outputs).
 */
export function plantedIn(bytes: Buffer | string, opts: { letters?: boolean } = {}): string[] {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  return FORMS.filter(([sent, json]) => (!opts.letters || !/^\d+$/.test(sent)) && (text.includes(sent) || text.includes(json))).map(([sent]) => sent);
}

/**
 * `bytes` with every planted value overwritten in place, letter by letter and digit by digit (`DOE^JANE`
 * becomes `QQQ^QQQQ`): the same length and delimiters, so the message keeps its structure and can be
 * mutated freely without any mutation making patient data of it.
 */
export function scrubPlanted(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const text = out.toString('latin1');
  for (const p of PLANTED) {
    for (let at = text.indexOf(p); at >= 0; at = text.indexOf(p, at + 1)) {
      for (let i = at; i < at + p.length; i++) {
        const c = out[i];
        if (c >= 0x41 && c <= 0x5a) out[i] = 0x51;
        else if (c >= 0x61 && c <= 0x7a) out[i] = 0x71;
        else if (c >= 0x30 && c <= 0x39) out[i] = 0x35;
      }
    }
  }
  return out;
}
