/**
 * OMEMO device lists (XEP-0384 0.3 §4.2, current §5.3.1): which devices an account has.
 *
 *   oldmemo (0.3): <list xmlns='eu.siacs.conversations.axolotl'><device id='12345'/>…</list>
 *        on node eu.siacs.conversations.axolotl.devicelist, item 'current'
 *   twomemo (2):   <devices xmlns='urn:xmpp:omemo:2'><device id='12345' label='Phone'/>…</devices>
 *        on node urn:xmpp:omemo:2:devices, item 'current'
 *
 * A list is a contact's claim (or their server's): too many devices refuse the whole list; a single
 * entry with a bad id is left out (and counted), so one broken entry does not hide the good ones.
 *
 * @example
 *   const r = parseDeviceList(payload);           // the element inside <item id='current'>
 *   if (r.ok) for (const d of r.value.devices) fetchBundle(r.value.version, d.id);
 *   const el = buildDeviceList('twomemo', [{ id: 4711, label: 'Klatsch' }]);
 */
import xml, { type Element } from '@xmpp/xml';
import {
  checkOwnDeviceId,
  fail,
  MAX_DEVICES,
  MAX_LABEL_CHARS,
  NAMESPACE,
  ok,
  parseDeviceId,
  versionOfNamespace,
  type OmemoVersion,
  type Parsed,
} from './common.js';

export interface OmemoDevice {
  id: number;
  /** omemo:2 only; absent when none was given (or it was too long). */
  label?: string;
}

export interface ParsedDeviceList {
  version: OmemoVersion;
  /** In document order, each id once. */
  devices: OmemoDevice[];
  /** `<device>` entries left out: id missing, not a number, outside 1..2^31−1, or repeated. */
  ignored: number;
}

const LIST_NAME: Record<OmemoVersion, string> = { oldmemo: 'list', twomemo: 'devices' };

/** Parses the device list payload of either version (the element inside the PEP `<item>`). */
export function parseDeviceList(el: Element): Parsed<ParsedDeviceList> {
  const version = versionOfNamespace(el.attrs.xmlns);
  if (!version || el.name !== LIST_NAME[version]) {
    return fail('wrong-element', `not an OMEMO device list: <${el.name} xmlns='${el.attrs.xmlns ?? ''}'>`);
  }
  const entries = el.getChildren('device', NAMESPACE[version]);
  if (entries.length > MAX_DEVICES) {
    return fail('too-large', `device list with ${entries.length} devices refused (at most ${MAX_DEVICES})`);
  }
  const devices: OmemoDevice[] = [];
  const seen = new Set<number>();
  let ignored = 0;
  for (const entry of entries) {
    const id = parseDeviceId(entry.attrs.id);
    if (id === undefined || seen.has(id)) {
      ignored++;
      continue;
    }
    seen.add(id);
    const device: OmemoDevice = { id };
    const label = entry.attrs.label;
    if (version === 'twomemo' && typeof label === 'string' && label.length > 0 && label.length <= MAX_LABEL_CHARS) {
      const clean = sanitizeDeviceLabel(label);
      if (clean) device.label = clean;
    }
    devices.push(device);
  }
  return ok({ version, devices, ignored });
}

/** A label shown to the user is at most this many characters (longer ones are cut, with an ellipsis). */
export const MAX_SHOWN_LABEL_CHARS = 64;

/**
 * A device label from the network, made safe to show: it is the contact's (or anyone's) free text. Control
 * characters, bidirectional overrides and isolates (which could make "Phone" read as something else or
 * reorder the fingerprint beside it), zero-width and other invisible format characters and line breaks are
 * removed; runs of white space become one space; at most MAX_SHOWN_LABEL_CHARS characters remain. Undefined
 * when nothing is left. It is text, never markup: the UI shows it as a text node.
 */
export function sanitizeDeviceLabel(raw: string): string | undefined {
  const stripped = raw
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\u{FFF9}-\u{FFFB}\u{FFFC}\u{FFFD}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  if (stripped === '') return undefined;
  const chars = [...stripped];
  return chars.length <= MAX_SHOWN_LABEL_CHARS ? stripped : `${chars.slice(0, MAX_SHOWN_LABEL_CHARS - 1).join('').trimEnd()}…`;
}

/** The device list payload to publish. Labels exist in omemo:2 only (0.3 leaves them out). */
export function buildDeviceList(version: OmemoVersion, devices: readonly OmemoDevice[]): Element {
  if (devices.length > MAX_DEVICES) throw new RangeError(`device list longer than ${MAX_DEVICES}`);
  const seen = new Set<number>();
  const children = devices.map((d) => {
    checkOwnDeviceId(d.id);
    if (seen.has(d.id)) throw new RangeError(`device ${d.id} twice in one list`);
    seen.add(d.id);
    const label = version === 'twomemo' && d.label ? d.label.slice(0, MAX_LABEL_CHARS) : undefined;
    return xml('device', { id: String(d.id), label });
  });
  return xml(LIST_NAME[version], { xmlns: NAMESPACE[version] }, ...children);
}

/** The list with `own` added (kept at its place if present, label updated): what to publish after sign-in. */
export function withDevice(devices: readonly OmemoDevice[], own: OmemoDevice): OmemoDevice[] {
  checkOwnDeviceId(own.id);
  const at = devices.findIndex((d) => d.id === own.id);
  if (at < 0) return [...devices, own];
  const copy = [...devices];
  copy[at] = own;
  return copy;
}
