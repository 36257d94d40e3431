import { readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';

// Screenshots of a dark UI have few colours: a 256-colour palette (libimagequant, inside the
// libvips that sharp ships as an npm package) keeps text crisp at a fraction of Chromium's
// true-colour PNG. Dithering is off: it would speckle flat panels and grow the file.

/** Rewrites `file` as a palette PNG; answers its size before and after, in bytes. */
export async function optimisePng(file: string): Promise<{ before: number; after: number }> {
  const original = await readFile(file);
  const smaller = await sharp(original).png({ palette: true, quality: 90, colours: 256, dither: 0, effort: 10, compressionLevel: 9 }).toBuffer();
  // A picture that does not shrink (rare: a photo-like image) is kept as Chromium wrote it.
  if (smaller.length < original.length) await writeFile(file, smaller);
  return { before: original.length, after: Math.min(smaller.length, original.length) };
}
