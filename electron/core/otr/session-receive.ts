// Incoming message bodies for OtrConversation, at the text level (Protocol-v3
// "Fragmentation" > "Receiving Fragments", and "The protocol state machine":
// receiving plaintext with or without the whitespace tag, Query Messages and
// Error Messages). Encoded messages go on to session-otr-message.ts.

import { classifyMessage, decodeOtrMessage, stripWhitespaceTag } from './encoding.js';
import type { OtrOutput } from './events.js';
import { isFragment, parseFragment, type Fragment } from './fragment.js';
import { bestVersion, otrEnabled, refusesOnlyV2 } from './policy.js';
import type { OtrConversation } from './session.js';
import { handleEncoded } from './session-otr-message.js';
import { MIN_INSTANCE_TAG } from './wire.js';

export function receiveText(conv: OtrConversation, wireText: string, out: OtrOutput): void {
  const flags = conv.policyFlags;
  if (!otrEnabled(flags)) {
    receiveWithOtrOff(wireText, out);
    return;
  }
  conv.expireQueue(out);
  let text = wireText;
  if (isFragment(text)) {
    const whole = accumulate(conv, text, out);
    if (whole === undefined) return;
    text = whole;
  } else {
    // "If you receive a non-OTR message, or an unfragmented message, forget any stored fragment."
    // Stored fragments are per sender instance: a message without one (plaintext, query, error,
    // v2) clears the v2 store, as libotr's master context; a v3 message its sender's (see
    // handleEncoded). So one client of the peer chatting in plaintext does not break another's
    // fragmented message.
    conv.reassembler.clear(0);
  }
  const classified = classifyMessage(text);
  if (flags.sendWhitespaceTag) {
    // libotr: any OTR message means the offer was taken up; plain text after our offer means it was not.
    if (classified.kind !== 'plaintext') conv.offer = 'accepted';
    else if (conv.offer === 'sent') conv.offer = 'rejected';
  }
  switch (classified.kind) {
    case 'encoded': {
      let bytes: Uint8Array;
      try {
        bytes = decodeOtrMessage(classified.text);
      } catch (e) {
        out.events.push({ type: 'error', message: `malformed OTR message: ${(e as Error).message}` });
        return;
      }
      handleEncoded(conv, bytes, out);
      return;
    }
    case 'error':
      // "Display the message to the user. If ERROR_START_AKE is set, reply with a Query Message."
      out.events.push({ type: 'remote-error', message: classified.message });
      // Not for every error: one per AKE, and none just after going private (errors about messages of the
      // conversation it replaced, still in flight). Each query costs the peer a new AKE that replaces the
      // session again, making the next messages unreadable: errors → queries → AKEs → errors, without end.
      if (flags.errorStartAke && conv.answersPeer() && conv.errorMayStartAke()) conv.sendQuery(out);
      return;
    case 'query': {
      const version = bestVersion(flags, classified.offer.versions);
      if (!conv.answersPeer()) out.events.push({ type: 'ignored', reason: 'query message from a peer we do not answer unasked' });
      else if (version) conv.startAke(version, out);
      else if (refusesOnlyV2(flags, classified.offer.versions)) out.events.push({ type: 'version-refused', version: 2 });
      else out.events.push({ type: 'ignored', reason: 'query message offers no version we allow' });
      return;
    }
    case 'tagged': {
      showPlaintext(conv, classified.text, out);
      const version = bestVersion(flags, classified.versions);
      // As libotr: not while already private with the peer.
      if (version && flags.whitespaceStartAke && conv.state !== 'encrypted' && conv.answersPeer()) conv.startAke(version, out);
      else if (flags.whitespaceStartAke && conv.state !== 'encrypted' && refusesOnlyV2(flags, classified.versions)) {
        out.events.push({ type: 'version-refused', version: 2 });
      }
      return;
    }
    case 'plaintext':
      showPlaintext(conv, classified.text, out);
      return;
  }
}

/**
 * OTR is off ('never'): nothing is acted on, and nothing of the protocol is shown as text — not
 * the ciphertext of a private message (the user is told one came), not a query, not the peer's
 * invisible offer (whitespace tag).
 */
function receiveWithOtrOff(wireText: string, out: OtrOutput): void {
  if (isFragment(wireText)) {
    let fragment: Fragment | undefined;
    try {
      fragment = parseFragment(wireText);
    } catch {
      fragment = undefined; // not a fragment after all: text that mentions the marker
    }
    // One notice per message, not one per piece.
    if (fragment) {
      if (fragment.k === 1) out.events.push({ type: 'otr-off-received', what: 'message' });
      return;
    }
  }
  const classified = classifyMessage(wireText);
  switch (classified.kind) {
    case 'encoded':
      out.events.push({ type: 'otr-off-received', what: 'message' });
      return;
    case 'query':
      out.events.push({ type: 'otr-off-received', what: 'request' });
      return;
    case 'error':
      out.events.push({ type: 'remote-error', message: classified.message });
      return;
    default:
      out.display.push({ text: stripWhitespaceTag(wireText), encrypted: false });
  }
}

/** Feeds a fragment to the reassembler; returns the whole message once complete. */
function accumulate(conv: OtrConversation, text: string, out: OtrOutput): string | undefined {
  let fragment: Fragment;
  try {
    fragment = parseFragment(text);
  } catch (e) {
    out.events.push({ type: 'error', message: `malformed OTR fragment: ${(e as Error).message}` });
    return undefined;
  }
  if (fragment.version === 3) {
    if (fragment.receiverInstance !== 0 && fragment.receiverInstance !== conv.ourInstance) {
      out.events.push({ type: 'other-instance' });
      return undefined;
    }
    if (fragment.senderInstance < MIN_INSTANCE_TAG) {
      out.events.push({ type: 'error', message: 'malformed OTR fragment: invalid sender instance tag' });
      return undefined;
    }
  }
  const flags = conv.policyFlags;
  if ((fragment.version === 3 && !flags.allowV3) || (fragment.version === 2 && !flags.allowV2)) {
    out.events.push({ type: 'ignored', reason: `OTR version ${fragment.version} is not allowed` });
    return undefined;
  }
  const whole = conv.reassembler.accept(fragment);
  if (whole !== undefined && isFragment(whole)) {
    out.events.push({ type: 'error', message: 'malformed OTR fragment: a fragment inside a fragment' });
    return undefined;
  }
  return whole;
}

/** "Receiving plaintext": show it; warn if we are private (or require privacy). */
function showPlaintext(conv: OtrConversation, text: string, out: OtrOutput): void {
  if (text.length > 0) out.display.push({ text, encrypted: false });
  if (conv.state !== 'plaintext' || conv.policyFlags.requireEncryption) out.events.push({ type: 'unencrypted-received', text });
}
