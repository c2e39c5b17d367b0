/**
 * SASL (RFC 6120 §6) in place of `@xmpp/sasl`: SCRAM-SHA-256, then
 * SCRAM-SHA-1 (scram.ts, mutual: the server must prove it knows the password),
 * then PLAIN. Only ever on an encrypted stream — requireTls runs first, and
 * this checks again — so PLAIN never leaves TLS either.
 */
import { randomBytes } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import type { Client } from '@xmpp/client-core';
import type { StreamFeatures } from '@xmpp/stream-features';
import { ScramClient, ScramError, type ScramHash } from './scram.js';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** Most preferred first. */
export const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

const SCRAM_HASH: Partial<Record<Mechanism, ScramHash>> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-1': 'sha1' };

/** A <failure/> from the server (the name and fields errors.ts classifies). */
export class SaslFailure extends Error {
  constructor(
    readonly condition: string,
    readonly text: string,
  ) {
    super(`SASL failure: ${condition}${text ? ` (${text})` : ''}`);
    this.name = 'SASLError';
  }
}

/** The first of our mechanisms the server offers. */
export function chooseMechanism(offered: readonly string[]): Mechanism | undefined {
  return MECHANISMS.find((m) => offered.includes(m));
}

export function saslLogin(streamFeatures: StreamFeatures, credentials: { username: string; password: string }, onMechanism?: (m: Mechanism) => void): void {
  streamFeatures.use('mechanisms', NS_SASL, async ({ entity }, _next, features) => {
    if (!entity.isSecure()) throw new ScramError('refusing to authenticate on an unencrypted stream');
    const offered = features.getChildren('mechanism', NS_SASL).map((m) => m.text().trim());
    const mechanism = chooseMechanism(offered);
    if (!mechanism) {
      throw new SaslFailure('invalid-mechanism', `the server offers no sign-in method Klatsch supports (${offered.slice(0, 8).join(', ') || 'none'})`);
    }
    onMechanism?.(mechanism);
    await authenticate(entity, mechanism, credentials);
    await entity.restart();
  });
}

async function authenticate(entity: Client, mechanism: Mechanism, { username, password }: { username: string; password: string }): Promise<void> {
  const hash = SCRAM_HASH[mechanism];
  const scram = hash ? new ScramClient(hash, username, password, randomBytes(18).toString('base64')) : undefined;
  const initial = scram ? scram.clientFirst() : `\0${username}\0${password}`;
  let serverProved = !scram;
  let round = 0;

  await exchange(entity, xml('auth', { xmlns: NS_SASL, mechanism }, b64(initial)), async (element, done) => {
    if (element.name === 'failure') {
      const condition = element.getChildElements().find((c) => c.name !== 'text')?.name ?? 'not-authorized';
      throw new SaslFailure(condition, element.getChildText('text') ?? '');
    }
    const data = decode(element.text());
    if (element.name === 'challenge') {
      if (!scram || ++round > 2) throw new ScramError('the server sent an unexpected challenge');
      if (round === 1) {
        await entity.send(xml('response', { xmlns: NS_SASL }, b64(await scram.clientFinal(data))));
      } else {
        // Some servers send the server-final-message as a challenge, then <success/> without data.
        scram.verifyServerFinal(data);
        serverProved = true;
        await entity.send(xml('response', { xmlns: NS_SASL }));
      }
      return;
    }
    if (element.name === 'success') {
      if (scram && !serverProved) {
        if (data === '') throw new ScramError('the server sent no proof that it knows your password');
        scram.verifyServerFinal(data);
      }
      done();
    }
  });
}

/** Sends `first`, then hands every SASL nonza to `handler` until it calls done() or throws. */
function exchange(entity: Client, first: Element, handler: (element: Element, done: () => void) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      entity.removeListener('nonza', listener);
      if (error) reject(error);
      else resolve();
    };
    // One at a time: a challenge's answer (PBKDF2) must be out before the next element is looked at.
    let chain = Promise.resolve();
    function listener(element: Element) {
      if (element.getNS() !== NS_SASL) return;
      chain = chain.then(() => (settled ? undefined : handler(element, () => finish()))).catch(finish);
    }
    entity.on('nonza', listener);
    entity.send(first).catch(finish);
  });
}

function b64(text: string): string {
  // RFC 6120 §6.4.2: an empty initial response is "=".
  return text === '' ? '=' : Buffer.from(text, 'utf8').toString('base64');
}

function decode(text: string): string {
  const t = text.trim();
  if (t === '' || t === '=') return '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) throw new ScramError('the server sent data that is not base64');
  return Buffer.from(t, 'base64').toString('utf8');
}
