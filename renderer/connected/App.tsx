import { useShallow } from 'zustand/react/shallow';
import { ErrorScreen, LoadingScreen } from '../components/ErrorScreen';
import { chooseScreen } from '../store/transitions';
import { ShortcutsHelp } from '../components/ShortcutsHelp';
import { useTexts } from '../i18n/i18n';
import { storageProblemText } from '../i18n/errors';
import { useActions, useAppState, useAppStore } from './context';
import { platform, useShortcuts, useWindowTitle } from './useShortcuts';
import { AddAccountScreen } from './AddAccountScreen';
import { PasswordScreen } from './PasswordScreen';
import { MainScreen } from './MainScreen';
import { PolicyNotice } from './PolicyNotice';
import { XmppLinkPanel } from './XmppLinkPanel';
import { LinkOpener } from '../components/MessageBody';
import { LinkConfirm } from './LinkConfirm';
import { SearchDialog } from './SearchDialog';
import { SettingsScreen } from './SettingsScreen';

export function App() {
  const storageProblem = useAppState((s) => s.storageProblem);
  const storageProblems = useAppState((s) => s.storageProblems);
  const store = useAppStore();
  const actions = useActions();
  const helpOpen = useAppState((s) => s.shortcutsHelpOpen);
  const texts = useTexts();
  useWindowTitle();
  useShortcuts(store, actions);
  return (
    <LinkOpener.Provider value={actions.askToOpenLink}>
      {(storageProblem || storageProblems.length > 0) && (
        <p className="storage-problem" role="alert" data-testid="storage-problem">
          {storageProblemText(texts, storageProblem, storageProblems)}
        </p>
      )}
      <PolicyNotice />
      <XmppLinkPanel />
      <Screen />
      {helpOpen && <ShortcutsHelp platform={platform} onClose={() => store.getState().shortcutsHelpSet(false)} />}
      <SearchDialog />
      <LinkConfirm />
      <SettingsScreen />
    </LinkOpener.Provider>
  );
}

function Screen() {
  const actions = useActions();
  const texts = useTexts();
  const screen = chooseScreen(
    useAppState(
      useShallow((s) => ({
        load: s.load,
        accounts: s.accounts,
        activeAccountId: s.activeAccountId,
        addingAccount: s.addingAccount,
      })),
    ),
  );
  switch (screen.kind) {
    case 'loading':
      return <LoadingScreen />;
    case 'load-failed':
      return (
        <ErrorScreen
          title={texts.app.couldNotLoadTitle}
          message={texts.errors.withDetail(texts.app.couldNotLoadMessage, screen.message)}
          actionLabel={texts.app.tryAgain}
          onAction={() => void actions.loadSnapshot()}
        />
      );
    case 'add-account':
      return <AddAccountScreen canCancel={screen.canCancel} />;
    case 'password':
      return <PasswordScreen key={screen.account.id} account={screen.account} />;
    case 'main':
      return <MainScreen account={screen.account} />;
  }
}
