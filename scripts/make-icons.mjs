// Renders assets/icon.svg into every icon the installers need, with no tool
// beyond npm: PNGs 16…1024 (Linux, and the sources of the rest), icon.ico
// (Windows: PNG entries 16…256) and icon.icns (macOS: PNG entries, on a
// padded canvas as Apple's icon grid expects). Run `npm run icons` after
// changing the SVG and commit the results.
import { Resvg } from '@resvg/resvg-js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const assets = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'assets');
const svg = await readFile(path.join(assets, 'icon.svg'), 'utf8');

// macOS icons sit on a 1024 canvas with a 100 px margin (824 px body) and a soft shadow.
const macSvg = svg
  .replace(/<svg [^>]*>/, (open) => `${open}<defs><filter id="mac-shadow" x="-10%" y="-10%" width="120%" height="130%"><feDropShadow dx="0" dy="12" stdDeviation="14" flood-opacity="0.3"/></filter></defs><g filter="url(#mac-shadow)" transform="translate(100 100) scale(0.8046875)">`)
  .replace(/<\/svg>\s*$/, '</g></svg>');

const render = (source, size) => Buffer.from(new Resvg(source, { fitTo: { mode: 'width', value: size } }).render().asPng());

export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// ICNS element types holding PNG data, by pixel size (Apple's "icp4…ic14").
export const ICNS_TYPES = [
  ['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024],
  ['ic11', 32], ['ic12', 64], ['ic13', 256], ['ic14', 512],
];

function ico(pngs) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(pngs.length, 4);
  const entries = [];
  let offset = 6 + 16 * pngs.length;
  for (const { size, png } of pngs) {
    const e = Buffer.alloc(16);
    e.writeUInt8(size >= 256 ? 0 : size, 0); // 0 means 256
    e.writeUInt8(size >= 256 ? 0 : size, 1);
    e.writeUInt8(0, 2);
    e.writeUInt8(0, 3);
    e.writeUInt16LE(1, 4); // colour planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(png.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png.length;
    entries.push(e);
  }
  return Buffer.concat([header, ...entries, ...pngs.map((p) => p.png)]);
}

function icns(elements) {
  const chunks = elements.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

await mkdir(path.join(assets, 'icons'), { recursive: true });
const pngs = new Map();
for (const size of LINUX_SIZES) {
  const png = render(svg, size);
  pngs.set(size, png);
  await writeFile(path.join(assets, 'icons', `${size}x${size}.png`), png);
}
await writeFile(path.join(assets, 'icon.png'), pngs.get(1024));
await writeFile(path.join(assets, 'icon.ico'), ico(ICO_SIZES.map((size) => ({ size, png: pngs.get(size) }))));
const macPngs = new Map();
await writeFile(
  path.join(assets, 'icon.icns'),
  icns(ICNS_TYPES.map(([type, size]) => {
    if (!macPngs.has(size)) macPngs.set(size, render(macSvg, size));
    return { type, png: macPngs.get(size) };
  })),
);
await writeFile(path.join(assets, 'icon-mac-1024.png'), macPngs.get(1024));

// Tray icons: the app icon with a presence dot (the roster's colours) at the lower right, ringed so
// that it reads on light and dark panels; 16 px with @2x and @3x for high-density displays.
export const TRAY_PRESENCE = { online: '#1e9e4a', away: '#e3a008', dnd: '#d2372c', offline: '#9aa2ab' };
const traySvg = (colour) =>
  svg.replace(/<\/svg>\s*$/, `<circle cx="784" cy="784" r="240" fill="#ffffff"/><circle cx="784" cy="784" r="188" fill="${colour}"/></svg>`);
await mkdir(path.join(assets, 'tray'), { recursive: true });
for (const [presence, colour] of Object.entries(TRAY_PRESENCE)) {
  for (const [suffix, size] of [['', 16], ['@2x', 32], ['@3x', 48]]) {
    await writeFile(path.join(assets, 'tray', `tray-${presence}${suffix}.png`), render(traySvg(colour), size));
  }
}
console.log(`icons written to ${assets}`);
