/**
 * The "Group chats" section of the sidebar: the account's rooms and the join/create dialog.
 * Where the administrator requires end-to-end encryption for everything, it only says why
 * group chats are off (the core refuses them too).
 */
import { useState } from 'react';
import type { AccountView, Invitation, RoomView } from '../../shared/contract';
import { ModalDialog } from '../components/ModalDialog';
import { InvitationList } from '../components/rooms/InvitationList';
import { JoinRoomForm } from '../components/rooms/JoinRoomForm';
import { RoomList } from '../components/rooms/RoomList';
import { errorText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

const noRooms: RoomView[] = [];
const noInvitations: Invitation[] = [];

/**
 * Whether the policy in force forbids all group chats: every message must be private, and OMEMO (the one scheme
 * that encrypts rooms) is not allowed. With OMEMO allowed, encrypted rooms stay (the core refuses plaintext ones).
 */
export function useGroupChatsRefused(): boolean {
  return useAppState((s) => s.policy !== null && (s.policy.otrPolicy === 'always' || !s.policy.plaintextAllowed) && s.policy.encryptionSchemes !== undefined && !s.policy.encryptionSchemes.includes('omemo'));
}

export function RoomsPanel({ account }: { account: AccountView }) {
  const catalog = useTexts();
  const texts = catalog.groupChat;
  const actions = useActions();
  const rooms = useAppState((s) => s.rooms[account.id] ?? noRooms);
  const invitations = useAppState((s) => s.invitations[account.id] ?? noInvitations);
  const selected = useAppState((s) => (s.selected === null && s.selectedRoom?.accountId === account.id ? s.selectedRoom.peer : null));
  const refused = useGroupChatsRefused();
  const [joining, setJoining] = useState(false);

  return (
    <section className="rooms-panel" aria-labelledby="rooms-heading" data-testid="rooms-panel">
      <div className="roster-heading">
        <h2 className="sidebar-heading" id="rooms-heading">
          {texts.heading}
        </h2>
        {!refused && (
          <button type="button" className="button small" data-testid="open-join-room" onClick={() => setJoining(true)}>
            {texts.join}
          </button>
        )}
      </div>
      {refused ? (
        <p className="muted small" data-testid="group-chats-refused">
          {texts.refusedByPolicy}
        </p>
      ) : (
        <>
          <InvitationList
            invitations={invitations}
            onAccept={async (invitation) => {
              const result = await actions.acceptInvitation(account.id, invitation.id, account.jid.split('@')[0] ?? 'me');
              return result.ok ? null : errorText(catalog, result.error);
            }}
            onDecline={async (invitation) => {
              const result = await actions.declineInvitation(account.id, invitation.id);
              return result.ok ? null : errorText(catalog, result.error);
            }}
          />
          <RoomList rooms={rooms} selected={selected} onSelect={(room) => actions.selectRoom({ accountId: account.id, peer: room })} />
        </>
      )}
      {joining && (
        <ModalDialog className="contact-dialog" testId="join-room-dialog" labelledBy="join-room-title" onClose={() => setJoining(false)}>
          <h2 id="join-room-title">{texts.dialogTitle}</h2>
          <JoinRoomForm
            connected={account.connection.kind === 'online'}
            initialNick={account.jid.split('@')[0] ?? ''}
            onCancel={() => setJoining(false)}
            onBrowse={async () => {
              const result = await actions.listRooms(account.id);
              return result.ok ? result.value.rooms : errorText(catalog, result.error);
            }}
            onSubmit={async ({ room, nick, password }) => {
              const result = await actions.joinRoom(account.id, room, nick, password);
              if (!result.ok) return errorText(catalog, result.error);
              setJoining(false);
              return null;
            }}
          />
        </ModalDialog>
      )}
    </section>
  );
}
