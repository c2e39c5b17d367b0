/**
 * One group chat on screen: its address and subject, the permanent banner saying whether it is
 * end-to-end encrypted (and with which scheme) or not, messages with the sender's nickname, who is in the room, the composer, and leaving.
 */
import { useState, type FormEvent } from 'react';
import type { ChatMessage, Contact, Result } from '../../shared/contract';
import { Composer } from '../components/Composer';
import { InviteForm } from '../components/rooms/InviteForm';
import { RoomPrivacyBanner } from '../components/rooms/NotEncryptedBanner';
import { OccupantList } from '../components/rooms/OccupantList';
import { RoomMessages } from '../components/rooms/RoomMessages';
import { useMediaQuery } from '../hooks/useMediaQuery';
import { errorText, useTexts, wordedText } from '../i18n/i18n';
import { roomName } from '../store/conversations';
import { useActions, useAppState } from './context';

/** Below this window width the member list starts folded away, so the messages keep a readable column. */
const MEMBERS_OPEN_QUERY = '(min-width: 64rem)';

const noMessages: ChatMessage[] = [];
const noContacts: Contact[] = [];

function SubjectEditor({ subject, onSave, onClose }: { subject: string; onSave: (subject: string) => Promise<string | null>; onClose: () => void }) {
  const texts = useTexts().groupChat;
  const [value, setValue] = useState(subject);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = await onSave(value.trim());
    if (problem) setError(problem);
    else onClose();
  }
  return (
    <form className="room-subject-form" onSubmit={submit} data-testid="room-subject-form">
      <label className="field">
        <span>{texts.subjectLabel}</span>
        <input data-testid="room-subject-input" type="text" autoFocus maxLength={1024} value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <button type="submit" className="button small primary">
        {texts.saveSubject}
      </button>
      <button type="button" className="button small subtle" onClick={onClose}>
        {texts.cancel}
      </button>
      {error && (
        <p className="inline-error small" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function RoomPane({ accountId, room: jid }: { accountId: string; room: string }) {
  const catalog = useTexts();
  const texts = catalog.groupChat;
  const actions = useActions();
  const room = useAppState((s) => s.rooms[accountId]?.find((r) => r.jid === jid));
  const messages = useAppState((s) => s.roomMessages[accountId]?.[jid] ?? noMessages);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [editingSubject, setEditingSubject] = useState(false);
  const [inviting, setInviting] = useState(false);
  const contacts = useAppState((s) => s.rosters[accountId] ?? noContacts);
  const wide = useMediaQuery(MEMBERS_OPEN_QUERY);
  // null: the user has not chosen, the window's width decides.
  const [membersChoice, setMembersChoice] = useState<boolean | null>(null);
  const membersOpen = membersChoice ?? wide;
  if (!room) return null;
  const memberCount = room.occupants.length + (room.occupantsOmitted ?? 0);

  async function send(text: string) {
    setError(null);
    setDraft('');
    const result = await actions.sendRoomMessage(accountId, jid, text);
    if (!result.ok) {
      setError(texts.notSent(errorText(catalog, result.error)));
      setDraft((now) => (now === '' ? text : now));
    }
    return result.ok;
  }

  async function report(request: Promise<Result<unknown>>) {
    const result = await request;
    setError(result.ok ? null : errorText(catalog, result.error));
  }

  return (
    <section className="chat-view room-view" data-testid="room-view" data-room={jid} data-state={room.state} aria-label={texts.roomLabelFor(jid)}>
      <header className="chat-header room-header">
        <div className="room-title">
          <h2 data-testid="room-title" title={jid}>
            # {roomName(jid)}
          </h2>
          <p className="muted small" data-testid="room-subject">
            {room.subject ?? texts.noSubject}
          </p>
          <p className="muted small" data-testid="room-state">
            {texts.state[room.state]} · {texts.yourNick(room.nick)}
          </p>
        </div>
        <div className="room-actions">
          <button
            type="button"
            className="button small subtle"
            data-testid="toggle-members"
            aria-expanded={membersOpen}
            aria-controls={membersOpen ? 'room-occupants' : undefined}
            onClick={() => setMembersChoice(!membersOpen)}
          >
            {texts.members(memberCount)}
          </button>
          {room.state === 'joined' && !editingSubject && (
            <button type="button" className="button small subtle" data-testid="edit-room-subject" onClick={() => setEditingSubject(true)}>
              {texts.editSubject}
            </button>
          )}
          {room.state === 'joined' && !inviting && (
            <button type="button" className="button small subtle" data-testid="invite-to-room" onClick={() => setInviting(true)}>
              {texts.invite}
            </button>
          )}
          {room.state === 'removed' && (
            <button type="button" className="button small" data-testid="rejoin-room" onClick={() => void report(actions.joinRoom(accountId, jid, room.nick))}>
              {texts.rejoin}
            </button>
          )}
          <button type="button" className="button small danger" data-testid="leave-room" onClick={() => void report(actions.leaveRoom(accountId, jid))}>
            {texts.leave}
          </button>
        </div>
      </header>
      <RoomPrivacyBanner scheme={room.e2ee?.scheme} />
      {editingSubject && (
        <SubjectEditor
          subject={room.subject ?? ''}
          onClose={() => setEditingSubject(false)}
          onSave={async (subject) => {
            const result = await actions.setRoomSubject(accountId, jid, subject);
            return result.ok ? null : errorText(catalog, result.error);
          }}
        />
      )}
      {inviting && (
        <InviteForm
          room={jid}
          contacts={contacts}
          onClose={() => setInviting(false)}
          onInvite={async (contact, reason) => {
            const result = await actions.inviteToRoom(accountId, jid, contact, reason || undefined);
            return result.ok ? null : errorText(catalog, result.error);
          }}
        />
      )}
      {room.error && (
        <p className="inline-error" role="alert" data-testid="room-error">
          {wordedText(catalog, room.error)}
        </p>
      )}
      <div className="room-body">
        <RoomMessages messages={messages} ownNick={room.nick} encryptedRoom={room.e2ee !== undefined} />
        {membersOpen && <OccupantList occupants={room.occupants} omitted={room.occupantsOmitted ?? 0} ownNick={room.nick} />}
      </div>
      <Composer peerName={texts.composerTo(roomName(jid))} value={draft} error={error} onChange={setDraft} onSend={send} />
    </section>
  );
}
