/** The sidebar's "Chats": recent conversations of the accounts on screen, most recent first. */
import { useEffect, useMemo, useState } from 'react';
import type { AccountView } from '../../shared/contract';
import { ConversationList } from '../components/ConversationList';
import { useTexts } from '../i18n/i18n';
import { createConversationListSelector } from '../store/conversations';
import { useActions, useAppState } from './context';

export function ConversationsPanel({ account }: { account: AccountView }) {
  const t = useTexts().conversations;
  const actions = useActions();
  // Several accounts: one list for all of them, as the roster below shows them all.
  const accountIds = useAppState((s) => (s.accounts.length > 1 ? s.accounts.map((a) => a.id).join('\n') : account.id));
  const chats = useAppState((s) => s.chats);
  const rosters = useAppState((s) => s.rosters);
  const rooms = useAppState((s) => s.rooms);
  const roomMessages = useAppState((s) => s.roomMessages);
  const selectedKey = useAppState((s) => {
    const on = s.selected ?? s.selectedRoom;
    return on ? `${on.accountId}\n${on.peer}` : null;
  });
  // "Today" shows a time, earlier days a date: checked again every minute.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  const select = useMemo(() => createConversationListSelector(), []);
  const ids = useMemo(() => accountIds.split('\n'), [accountIds]);
  const conversations = select({ accountIds: ids, chats, rosters, rooms, roomMessages });

  return (
    <section className="conversations-panel" aria-labelledby="conversations-heading" data-testid="conversations-panel">
      <h2 className="sidebar-heading" id="conversations-heading">
        {t.heading}
      </h2>
      <ConversationList
        conversations={conversations}
        selectedKey={selectedKey}
        now={now}
        onSelect={(c) => (c.kind === 'room' ? actions.selectRoom({ accountId: c.accountId, peer: c.peer }) : actions.selectChat({ accountId: c.accountId, peer: c.peer }))}
      />
    </section>
  );
}
