// Incoming binary OTR messages ("?OTR:…") for OtrConversation (Protocol-v3 "The
// protocol state machine": "Receiving a D-H Commit / D-H Key / Reveal
// Signature / Signature / Data Message"): version and instance-tag checks,
// routing to the peer instance's session, the AKE, and data messages
// (display, TLVs, heartbeats, unreadable messages).

import { Ake } from './ake.js';
import { isAkeMessageType } from './ake-messages.js';
import { FLAG_IGNORE_UNREADABLE, decodePlaintext, parseDataMessage, readDataFlags } from './data-message.js';
import type { AkeResult } from './ake.js';
import type { OtrOutput } from './events.js';
import type { OtrConversation } from './session.js';
import type { InstanceSession } from './session-instance.js';
import { TLV_DISCONNECTED, TLV_SYMMETRIC_KEY, isSmpTlv } from './tlv.js';
import { MSG_DATA, MSG_DH_COMMIT, MSG_DH_KEY, Reader, checkInstanceTags, readHeader, type OtrHeader } from './wire.js';

/** libotr's texts for OTRL_ERRCODE_MSG_UNREADABLE / _MALFORMED (pidgin-otr wording). */
export const ERROR_UNREADABLE = 'You transmitted an unreadable encrypted message.';
export const ERROR_MALFORMED = 'You transmitted a malformed data message.';

/** Routes one decoded "?OTR:" message. */
export function handleEncoded(conv: OtrConversation, bytes: Uint8Array, out: OtrOutput): void {
  let header: OtrHeader;
  try {
    header = readHeader(new Reader(bytes));
  } catch (e) {
    out.events.push({ type: 'ignored', reason: (e as Error).message });
    return;
  }
  const flags = conv.policyFlags;
  if ((header.version === 3 && !flags.allowV3) || (header.version === 2 && !flags.allowV2)) {
    // A v2 AKE the v3-only setting refuses is said once, at its start; the rest is ignored.
    if (header.version === 2 && flags.allowV3 && header.type === MSG_DH_COMMIT) out.events.push({ type: 'version-refused', version: 2 });
    else out.events.push({ type: 'ignored', reason: `OTR version ${header.version} is not allowed` });
    return;
  }
  if (header.version === 3) {
    // Only the D-H Commit may leave the receiver instance tag 0.
    const bad = checkInstanceTags(header, conv.ourInstance, header.type === MSG_DH_COMMIT);
    if (bad === 'invalid sender instance tag') {
      out.events.push({ type: 'error', message: `malformed OTR message: ${bad}` });
      return;
    }
    if (bad) {
      out.events.push({ type: 'other-instance' });
      return;
    }
  }
  const instance = header.version === 3 ? header.senderInstance : 0;
  conv.lastSenderInstance = instance;
  conv.reassembler.clear(instance);
  if (isAkeMessageType(header.type) && !conv.answersPeer()) out.events.push({ type: 'ignored', reason: 'AKE message from a peer we do not answer unasked' });
  else if (isAkeMessageType(header.type)) handleAke(conv, header, instance, bytes, out);
  else if (header.type === MSG_DATA) handleData(conv, header, instance, bytes, out);
  else out.events.push({ type: 'ignored', reason: `unknown OTR message type ${header.type}` });
}

/** The AKE with `instance`, continuing the master AKE if that is what the instance answers. */
function handleAke(conv: OtrConversation, header: OtrHeader, instance: number, bytes: Uint8Array, out: OtrOutput): void {
  const session = conv.session(instance);
  if (!session) {
    out.events.push({ type: 'ignored', reason: 'too many instances of the peer' });
    return;
  }
  const master = conv.masterAke;
  const own = session.ake;
  const ownRunning = own !== undefined && own.state !== 'none' && own.version === header.version;
  if (header.version === 3 && master && master.state === 'awaiting-dhkey') {
    // libotr: a D-H Key from an instance answers our commit (unless that instance's own AKE
    // is also awaiting one); a D-H Commit from an instance with no AKE of its own collides with ours.
    const adopt =
      (header.type === MSG_DH_KEY && own?.state !== 'awaiting-dhkey') || (header.type === MSG_DH_COMMIT && !ownRunning);
    if (adopt) {
      session.resetAke();
      session.ake = master;
      conv.masterAke = undefined;
    }
  }
  if (!session.ake || session.ake.version !== header.version) {
    const fresh = new Ake({
      version: header.version,
      ourInstance: conv.ourInstance,
      theirInstance: instance,
      longTerm: conv.longTerm,
      random: conv.random,
    });
    if (header.type === MSG_DH_KEY && header.version === 3) {
      // Another instance answered a commit that an earlier instance already took over (libotr would
      // copy the master AKE). Offer this instance an AKE of its own: it resends its D-H Key to it.
      session.resetAke();
      session.ake = fresh;
      conv.sendEncoded(fresh.start(), 3, instance, out);
      conv.akePendingSince = conv.now();
      return;
    }
    if (header.type !== MSG_DH_COMMIT) {
      out.events.push({ type: 'ignored', reason: 'AKE message without an AKE in progress' });
      return;
    }
    session.resetAke();
    session.ake = fresh;
  }
  const ake = session.ake;
  let result;
  try {
    result = ake.receive(bytes);
  } catch (e) {
    out.events.push({ type: 'error', message: `Error setting up private conversation: ${(e as Error).message}` });
    return;
  }
  if (result.ignored) out.events.push({ type: 'ignored', reason: `AKE: ${result.ignored}` });
  if (result.reply) {
    conv.sendEncoded(result.reply, header.version, instance, out);
    // As libotr: AKE messages to an instance count as sent (no heartbeat right after the AKE).
    session.lastSent = conv.now();
    if (!result.done) conv.akePendingSince = conv.now();
  }
  if (result.done) goEncrypted(conv, session, header.version, result.done, out);
}

function goEncrypted(conv: OtrConversation, session: InstanceSession, version: 2 | 3, done: AkeResult, out: OtrOutput): void {
  if (done.theirDh === done.ourDh.publicKey) {
    done.ourDh.wipe();
    out.events.push({ type: 'error', message: 'We are receiving our own OTR messages: either you are talking to yourself, or someone is reflecting your messages back at you.' });
    return;
  }
  const refreshed = session.goEncrypted(version, done);
  const state = session.state;
  if (state.kind !== 'encrypted') return;
  out.events.push({
    type: 'private',
    ssid: state.ssid,
    fingerprint: state.fingerprint,
    instance: session.instance,
    version,
    refreshed,
    initiator: state.initiator,
  });
  conv.enteredPrivate(session, refreshed, out);
}

/** "Receiving a Data Message". */
function handleData(conv: OtrConversation, header: OtrHeader, instance: number, bytes: Uint8Array, out: OtrOutput): void {
  const session = conv.sessions.get(instance);
  if (!session || session.state.kind !== 'encrypted' || session.state.version !== header.version) {
    unreadable(conv, readDataFlags(bytes), 'not in a private conversation with this instance', instance, ERROR_UNREADABLE, out);
    return;
  }
  let msg;
  try {
    msg = parseDataMessage(bytes);
  } catch (e) {
    unreadable(conv, readDataFlags(bytes), `malformed: ${(e as Error).message}`, instance, ERROR_MALFORMED, out);
    return;
  }
  const now = conv.now();
  const opened = session.open(msg);
  if (!opened.ok) {
    unreadable(conv, msg.flags, opened.reason, instance, ERROR_UNREADABLE, out);
    return;
  }
  const { text, tlvs } = decodePlaintext(opened.plaintext);
  opened.plaintext.fill(0);
  if (text.length > 0) out.display.push({ text, encrypted: true });
  let disconnected = false;
  for (const tlv of tlvs) {
    if (tlv.type === TLV_DISCONNECTED) disconnected = true;
    else if (isSmpTlv(tlv.type)) out.events.push({ type: 'smp-tlv', tlv, instance });
    else if (tlv.type === TLV_SYMMETRIC_KEY && tlv.value.length >= 4) {
      const use = new DataView(tlv.value.buffer, tlv.value.byteOffset, 4).getUint32(0);
      out.events.push({ type: 'symmetric-key', use, useData: tlv.value.slice(4), key: opened.extraKey.slice(), instance });
    }
  }
  opened.extraKey.fill(0);
  if (disconnected) {
    session.finish();
    out.events.push({ type: 'finished', instance });
    return;
  }
  if (text.length === 0) {
    out.events.push({ type: 'heartbeat', direction: 'received', instance });
  } else if (now - session.lastSent >= conv.heartbeatIntervalMs) {
    // We have not sent anything for a while: a heartbeat lets the keys rotate.
    conv.sendData(session, '', [], FLAG_IGNORE_UNREADABLE, out);
    out.events.push({ type: 'heartbeat', direction: 'sent', instance });
  }
}

/** An unreadable data message: ignored if flagged IGNORE_UNREADABLE, else reported and answered with an OTR error. */
function unreadable(conv: OtrConversation, flags: number, reason: string, instance: number, reply: string, out: OtrOutput): void {
  if (flags & FLAG_IGNORE_UNREADABLE) return;
  out.events.push({ type: 'unreadable', reason, instance });
  // One error per burst: a peer that lost the session sends many messages; an error each would flood the chat.
  if (conv.answersPeer() && conv.mayReportUnreadable()) conv.sendError(reply, out);
}
