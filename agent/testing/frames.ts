/**
 * Test support: the frames of a capture file, copied out of the reader's buffers.
 */
import { readCaptureFile } from '../capture/file-source.js';

export interface CapturedFrame {
  bytes: Buffer;
  wireLen: number;
  tsMicros: number;
  linkType: number;
}

export async function loadFrames(path: string): Promise<CapturedFrame[]> {
  const frames: CapturedFrame[] = [];
  await readCaptureFile(path, {
    frame(buf, offset, caplen, wireLen, tsMicros, linkType) {
      frames.push({ bytes: Buffer.from(buf.subarray(offset, offset + caplen)), wireLen, tsMicros, linkType });
    },
  });
  return frames;
}
