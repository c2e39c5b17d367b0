import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getApi } from './api';
import { ErrorScreen } from './components/ErrorScreen';
import { App } from './connected/App';
import { AppProvider } from './connected/context';
import { createActions } from './store/actions';
import { bindStoreToApi } from './store/bind';
import { createAppStore } from './store/store';
import { catalogFor } from '../shared/i18n/catalog';
import { languageFromPreferences } from './i18n/i18n';
import { SettingsApplied } from './connected/SettingsApplied';
import { reportWindowState } from './store/reportWindowState';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
const root = createRoot(container);
const api = getApi();
// The OS's language until the settings are loaded; then SettingsApplied follows the user's choice.
const language = languageFromPreferences(navigator.languages);
document.documentElement.lang = language;
const texts = catalogFor(language);

if (!api) {
  root.render(
    <ErrorScreen title={texts.app.couldNotStartTitle} message={texts.app.couldNotStartMessage} />,
  );
} else {
  const store = createAppStore();
  const actions = createActions(store, api);
  // Registered once, here, outside React: every event lands in the store.
  bindStoreToApi(store, api, actions);
  actions.windowFocusChanged(document.hasFocus());
  window.addEventListener('focus', () => actions.windowFocusChanged(true));
  window.addEventListener('blur', () => actions.windowFocusChanged(false));
  // Main notifies only of messages the user cannot see: it follows the focus and the open chat.
  reportWindowState(store, api);

  root.render(
    <StrictMode>
      <AppProvider store={store} actions={actions}>
        <SettingsApplied>
          <App />
        </SettingsApplied>
      </AppProvider>
    </StrictMode>,
  );
}
