import type { AccountView } from '../../shared/contract';
import { CertificateWarningPanel } from './CertificateWarningPanel';
import { ChatPane } from './ChatPane';
import { Sidebar } from './Sidebar';

export function MainScreen({ account }: { account: AccountView }) {
  return (
    <div className="main-layout">
      <Sidebar account={account} />
      <main className="chat-pane">
        <CertificateWarningPanel key={account.id} account={account} />
        <ChatPane accountId={account.id} />
      </main>
    </div>
  );
}
