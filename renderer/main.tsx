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

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
const root = createRoot(container);
const api = getApi();

if (!api) {
  root.render(
    <ErrorScreen
      title="Klatsch could not start"
      message="The connection to the application core (window.klatsch) is missing, so this page cannot do anything. Start Klatsch through the desktop application or the development host, not by opening the page directly."
    />,
  );
} else {
  const store = createAppStore();
  const actions = createActions(store, api);
  // Registered once, here, outside React: every event lands in the store.
  bindStoreToApi(store, api, actions);
  actions.windowFocusChanged(document.hasFocus());
  window.addEventListener('focus', () => actions.windowFocusChanged(true));
  window.addEventListener('blur', () => actions.windowFocusChanged(false));

  root.render(
    <StrictMode>
      <AppProvider store={store} actions={actions}>
        <App />
      </AppProvider>
    </StrictMode>,
  );
}
