import { describe, expect, it } from 'vitest';
import { escapeRecord } from './log.js';

describe('log records printed for a person (pino-pretty on a terminal)', () => {
  it('have every string escaped, keys and nested values included; errors are left to pino', () => {
    const err = new Error('x');
    expect(escapeRecord({ file: 'a\x1b[2J.pcap', n: 3, list: ['\x07', { deep: '\u202e' }], err, ['k\x1b']: null })).toEqual({
      file: 'a\\x1b[2J.pcap', n: 3, list: ['\\x07', { deep: '\\u202e' }], err, ['k\\x1b']: null,
    });
  });
});
