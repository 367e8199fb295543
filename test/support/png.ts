/**
 * Enough of PNG to compare two screenshots: decodes Chromium's 8-bit RGB/RGBA, non-interlaced
 * images (zlib from Node, the five row filters) and counts the pixels that visibly differ. Used so
 * that a test run rewrites a committed screenshot only when the page looks different, not on every
 * run's anti-aliasing and compression noise.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

export interface Bitmap {
  width: number;
  height: number;
  channels: number;
  pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The image's pixels; throws on a PNG this decoder does not read (palette, 16-bit, interlaced). */
export function decodePng(png: Buffer): Bitmap {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
      if (depth !== 8 || !channels || interlace !== 0)
        throw new Error(`unsupported PNG (depth ${depth}, colour ${colour}, interlace ${interlace})`);
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? out[x - channels] : 0;
      const above = up[x];
      const upperLeft = x >= channels ? up[x - channels] : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = above;
      else if (filter === 3) predicted = (left + above) >> 1;
      else if (filter === 4) {
        const p = left + above - upperLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - above);
        const pc = Math.abs(p - upperLeft);
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? above : upperLeft;
      } else if (filter !== 0) throw new Error(`bad PNG row filter ${filter}`);
      out[x] = (row[x] + predicted) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** How many pixels differ by more than `tolerance` in any colour channel; every pixel when the sizes differ. */
export function differingPixels(a: Bitmap, b: Bitmap, tolerance = 48): number {
  if (a.width !== b.width || a.height !== b.height) return Math.max(a.width * a.height, b.width * b.height);
  let count = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs(a.pixels[i * a.channels + c] - b.pixels[i * b.channels + c]) > tolerance) {
        count += 1;
        break;
      }
    }
  }
  return count;
}

/**
 * Writes a screenshot unless the file there already shows the same page: same size and fewer than
 * `share` of its pixels visibly different (a clock, an id; a changed layout moves far more).
 * `SCREENSHOTS=all` rewrites every one. Returns whether the file was written.
 */
export function writeScreenshot(file: string, png: Buffer, share = 0.005): boolean {
  if (process.env.SCREENSHOTS !== 'all' && fs.existsSync(file)) {
    try {
      const before = decodePng(fs.readFileSync(file));
      const after = decodePng(png);
      if (differingPixels(before, after) < share * after.width * after.height) return false;
    } catch {
      // An unreadable file is replaced.
    }
  }
  fs.writeFileSync(file, png);
  return true;
}
