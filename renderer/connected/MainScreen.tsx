import type { AccountView } from '../../shared/contract';
import { CertificateWarningPanel } from './CertificateWarningPanel';
import { OfflineNotice } from './OfflineNotice';
import { ChatPane } from './ChatPane';
import { Sidebar } from './Sidebar';
import { RoomPane } from './RoomPane';
import { useAppState } from './context';

export function MainScreen({ account }: { account: AccountView }) {
  // A group chat is on screen while no one-to-one chat is selected.
  const room = useAppState((s) => (s.selected === null && s.selectedRoom?.accountId === account.id ? s.selectedRoom.peer : null));
  return (
    <div className="main-layout">
      <Sidebar account={account} />
      <main className="chat-pane">
        <CertificateWarningPanel key={account.id} account={account} />
        <OfflineNotice key={`offline-${account.id}`} account={account} />
        {room ? <RoomPane key={room} accountId={account.id} room={room} /> : <ChatPane accountId={account.id} />}
      </main>
    </div>
  );
}
