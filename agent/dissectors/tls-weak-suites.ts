/**
 * Cipher suites whose IANA name says they are weak: no encryption (NULL), export grade, RC4, single
 * DES or 3DES. Codes and names from the IANA "TLS Cipher Suites" registry
 * (https://www.iana.org/assignments/tls-parameters/, RFC 5246 appendix A.5, RFC 4346 A.5, RFC 4492,
 * RFC 4279, RFC 4785, RFC 5054, RFC 5489, RFC 2712). A flat table: one lookup per ServerHello.
 */
type Weakness = 'null' | 'export' | 'rc4' | 'des' | '3des';

const WEAK: Record<Weakness, readonly number[]> = {
  // TLS_*_WITH_NULL_*: authentication without encryption.
  null: [0x0000, 0x0001, 0x0002, 0x002c, 0x002d, 0x002e, 0x003b, 0x00b0, 0x00b1, 0x00b4, 0x00b5, 0x00b8, 0x00b9,
    0xc001, 0xc006, 0xc00b, 0xc010, 0xc015, 0xc039, 0xc03a, 0xc03b],
  // TLS_*_EXPORT_*: 40/56-bit keys (FREAK, Logjam).
  export: [0x0003, 0x0006, 0x0008, 0x000b, 0x000e, 0x0011, 0x0014, 0x0017, 0x0019, 0x0026, 0x0027, 0x0028, 0x0029, 0x002a, 0x002b],
  // TLS_*_WITH_RC4_128_* (RFC 7465 prohibits them).
  rc4: [0x0004, 0x0005, 0x0018, 0x0020, 0x0024, 0x008a, 0x008e, 0x0092, 0xc002, 0xc007, 0xc00c, 0xc011, 0xc016, 0xc033],
  // TLS_*_WITH_DES_CBC_* (56-bit).
  des: [0x0009, 0x000c, 0x000f, 0x0012, 0x0015, 0x001a, 0x001e, 0x0022],
  // TLS_*_WITH_3DES_EDE_CBC_* (64-bit blocks: Sweet32).
  '3des': [0x000a, 0x000d, 0x0010, 0x0013, 0x0016, 0x001b, 0x001f, 0x0023, 0x008b, 0x008f, 0x0093, 0xc003, 0xc008, 0xc00d, 0xc012,
    0xc017, 0xc01a, 0xc01b, 0xc01c, 0xc034],
};

const BY_CODE = new Map<number, Weakness>();
for (const [w, codes] of Object.entries(WEAK) as [Weakness, readonly number[]][]) for (const c of codes) BY_CODE.set(c, w);

/** `{ cipher_weakness }` of a selected cipher suite, or nothing when it is none of these. */
export function cipherWeakness(suite: number): { cipher_weakness?: Weakness } {
  const w = BY_CODE.get(suite);
  return w === undefined ? {} : { cipher_weakness: w };
}
