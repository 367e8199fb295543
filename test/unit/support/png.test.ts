/**
 * The screenshot comparison the browser journey uses: the PNG decoder reads every row filter back
 * to the pixels that were encoded, and a screenshot is rewritten only when the page looks different.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { decodePng, differingPixels, writeScreenshot } from '../../support/png';

/** A PNG of RGB pixels, each row with the given filter (0–4), as an encoder would write it. */
function encodePng(width: number, height: number, pixels: Buffer, filterOf: (y: number) => number): Buffer {
  const stride = width * 3;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const filter = filterOf(y);
    const row = Buffer.alloc(stride + 1);
    row[0] = filter;
    for (let x = 0; x < stride; x++) {
      const left = x >= 3 ? pixels[y * stride + x - 3] : 0;
      const above = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const upperLeft = x >= 3 && y > 0 ? pixels[(y - 1) * stride + x - 3] : 0;
      const p = left + above - upperLeft;
      const paeth =
        Math.abs(p - left) <= Math.abs(p - above) && Math.abs(p - left) <= Math.abs(p - upperLeft)
          ? left
          : Math.abs(p - above) <= Math.abs(p - upperLeft)
            ? above
            : upperLeft;
      const predicted = [0, left, above, (left + above) >> 1, paeth][filter];
      row[x + 1] = (pixels[y * stride + x] - predicted) & 0xff;
    }
    rows.push(row);
  }
  const chunk = (type: string, body: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), body, Buffer.alloc(4)]); // the CRC is not checked
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 100×100 picture with texture (so every filter has work to do), and `changed` pixels made black. */
function picture(changed = 0, width = 100, height = 100): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set([(i * 7) % 256, (i * 13 + 50) % 256, 200 + (i % 50)], i * 3);
  for (let i = 0; i < changed; i++) pixels.set([0, 0, 0], i * 3);
  return encodePng(width, height, pixels, (y) => y % 5);
}

test('decodes what was encoded, through all five row filters', () => {
  const pixels = Buffer.from(Array.from({ length: 6 * 5 * 3 }, (_, i) => (i * 37 + 11) % 256));
  const image = decodePng(encodePng(6, 5, pixels, (y) => y % 5));
  expect({ width: image.width, height: image.height, channels: image.channels }).toEqual({
    width: 6,
    height: 5,
    channels: 3,
  });
  expect([...image.pixels]).toEqual([...pixels]);
  expect(() => decodePng(Buffer.from('GIF89a'))).toThrow('not a PNG');
});

test('counts visibly different pixels; a different size differs everywhere', () => {
  expect(differingPixels(decodePng(picture()), decodePng(picture()))).toBe(0);
  expect(differingPixels(decodePng(picture()), decodePng(picture(30)))).toBe(30);
  expect(differingPixels(decodePng(picture()), decodePng(picture(0, 100, 101)))).toBe(100 * 101);
});

describe('writeScreenshot', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-shots-'));
    file = path.join(dir, 'page.png');
  });
  afterEach(() => {
    delete process.env.SCREENSHOTS;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("writes a new one; keeps the old one for a clock's worth of change; replaces it when the page looks different", () => {
    expect(writeScreenshot(file, picture())).toBe(true);
    expect(writeScreenshot(file, picture(20))).toBe(false); // 0.2 % of the pixels
    expect(fs.readFileSync(file).equals(picture())).toBe(true);
    expect(writeScreenshot(file, picture(600))).toBe(true); // 6 %
    expect(fs.readFileSync(file).equals(picture(600))).toBe(true);
    expect(writeScreenshot(file, picture(0, 100, 120))).toBe(true); // another size
  });

  test('SCREENSHOTS=all rewrites every one; an unreadable file is replaced', () => {
    writeScreenshot(file, picture());
    process.env.SCREENSHOTS = 'all';
    expect(writeScreenshot(file, picture(1))).toBe(true);
    delete process.env.SCREENSHOTS;
    fs.writeFileSync(file, 'not a picture');
    expect(writeScreenshot(file, picture())).toBe(true);
  });
});
