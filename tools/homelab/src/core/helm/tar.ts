import { gunzipSync } from 'node:zlib';

/**
 * Reads one regular file out of a gzipped tar archive (ustar headers, with GNU long names and pax `path` records).
 * Enough for helm's release archives; avoids a dependency for a 40-line format walk, as zip.ts does for zips.
 */
export function readTarGzEntry(archive: Buffer, entryName: string): Buffer | undefined {
  const tar = gunzipSync(archive);
  let longName: string | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) return undefined;
    const size = Number.parseInt(field(header, 124, 12) || '0', 8);
    const type = header[156] === 0 ? '0' : String.fromCharCode(header[156]);
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? longName;
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type === '0' && name.replace(/^\.\//, '') === entryName) return Buffer.from(body);
  }
  return undefined;
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end < 0 ? length : end).trim();
}
