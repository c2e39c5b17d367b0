/** Pure input handling for the forms (no DOM, no React): unit-tested in Node. */
import type { SmpView } from '../shared/contract';
import type { Catalog } from '../shared/i18n/catalog';
import { en } from '../shared/i18n/en';

export type LoginValues = {
  jid: string;
  password: string;
  rememberPassword: boolean;
  host?: string;
  port?: number;
  directTls?: boolean;
};

/** The shape `BareJid` in shared/contract.ts checks; repeated so the app bundle needs no zod. */
const JID_SHAPE = /^[^@/\s]+@[^@/\s]+$/;

/** Validates the form; returns the values to send, or the message to show (in the catalog's language). */
export function readLoginForm(input: {
  jid: string;
  password: string;
  rememberPassword: boolean;
  host: string;
  port: string;
  directTls: boolean;
}, texts: Catalog['login'] = en.login): { ok: true; values: LoginValues } | { ok: false; message: string } {
  const jid = input.jid.trim();
  if (!JID_SHAPE.test(jid)) return { ok: false, message: texts.enterAddress };
  if (input.password === '') return { ok: false, message: texts.enterPassword };
  const values: LoginValues = { jid, password: input.password, rememberPassword: input.rememberPassword };
  const host = input.host.trim();
  if (host.length > 253 || /\s/.test(host)) return { ok: false, message: texts.badHost };
  if (host) values.host = host;
  const portText = input.port.trim();
  if (portText) {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      return { ok: false, message: texts.badPort };
    }
    values.port = port;
  }
  if (input.directTls) values.directTls = true;
  return { ok: true, values };
}

/** Cuts blank lines around the text; what is left is sent as typed. */
export function messageToSend(text: string): string | null {
  const cleaned = text.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
  return cleaned.trim() === '' ? null : cleaned;
}


/**
 * The identity of the authentication panel's form: a new request of the contact (another id) is a new
 * form with an empty answer field, so an answer typed for one request never stands under another.
 */
export function smpFormKey(smp: SmpView): string {
  return smp.phase === 'asked' ? `asked:${smp.id}` : smp.phase;
}

/** The longest text one message may carry (the core refuses more). */
export const MAX_MESSAGE_CHARS = 65536;

/**
 * A text longer than one message may be, as several messages in order (as Signal does), each at most
 * `max` UTF-16 units: cut after the last line break, else the last space, in the second half of a part,
 * else at `max` (never inside a surrogate pair). Nothing is dropped: the parts joined give the text.
 */
export function splitMessage(text: string, max = MAX_MESSAGE_CHARS): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max - 1) + 1;
    if (cut <= max / 2) cut = rest.lastIndexOf(' ', max - 1) + 1;
    if (cut <= max / 2) {
      cut = max;
      const unit = rest.charCodeAt(cut - 1);
      if (unit >= 0xd800 && unit <= 0xdbff) cut -= 1; // a high surrogate: keep the pair together
    }
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}
