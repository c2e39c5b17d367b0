/**
 * TLS before anything else (RFC 6120 §5.3.1, mandatory here): every stream
 * features element is looked at first by this middleware. On a plain stream it
 * either performs STARTTLS or ends the login; it never hands the features to
 * SASL, so no credential can be sent unencrypted, whatever the server offers.
 * What else the plaintext stream carries is GuardedClient's: a stanza ends the
 * login, and bytes after `<proceed/>` are never parsed.
 */
import net from 'node:net';
import xml from '@xmpp/xml';
import type { Client } from '@xmpp/client-core';
import type { Middleware } from '@xmpp/middleware';
import { SecureSocket } from './secure-transport.js';
import type { TrustMode } from './tls-policy.js';

const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

export class TlsRequiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsRequiredError';
  }
}

export function requireTls(middleware: Middleware, trust: TrustMode): void {
  middleware.use(async ({ entity, stanza }, next) => {
    if (!stanza.is('features', NS_STREAM) || entity.isSecure()) return next();
    if (!stanza.getChild('starttls', NS_TLS)) {
      throw new TlsRequiredError(
        'The server did not offer an encrypted connection (STARTTLS), so Klatsch did not sign in. ' +
          'Either the server is misconfigured or someone on the network removed the offer.',
      );
    }
    await startTls(entity, trust);
  });
}

async function startTls(entity: Client, trust: TrustMode): Promise<void> {
  const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_TLS }));
  if (!answer.is('proceed', NS_TLS)) {
    throw new TlsRequiredError('The server refused to start encryption (STARTTLS failure).');
  }
  const plain = entity.socket;
  if (!(plain instanceof net.Socket)) throw new TlsRequiredError('STARTTLS on a socket that cannot be upgraded.');
  const secure = new SecureSocket(entity.options.domain, trust);
  const ready = new Promise<void>((resolve, reject) => {
    secure.once('connect', () => resolve());
    secure.on('error', reject); // later errors reach the connection once attached
  });
  secure.upgrade(plain);
  await ready;
  // The plain socket is TLS's now: its listeners go (GuardedClient refused any plaintext byte after <proceed/> until here).
  entity._detachSocket();
  entity._attachSocket(secure);
  await entity.restart();
}
