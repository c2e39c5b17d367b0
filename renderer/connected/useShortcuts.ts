/**
 * The window-wide parts of the connected App: the title follows the unread
 * count, and the keyboard shortcuts of `../shortcuts` act on the store.
 */
import { useEffect } from 'react';
import { nextUnreadJid, shortcutFor, totalUnread, windowTitle, type Platform } from '../shortcuts';
import type { AppStore } from '../store/store';
import type { Actions } from '../store/actions';
import { useTexts } from '../i18n/i18n';
import { useAppState } from './context';

export const platform: Platform = typeof navigator !== 'undefined' && /Mac/.test(navigator.userAgent) ? 'mac' : 'other';

/** "(3) Klatsch": Electron's BrowserWindow shows the page title. */
export function useWindowTitle(): void {
  const unread = useAppState((s) => totalUnread(s.rosters));
  const texts = useTexts();
  useEffect(() => {
    document.title = windowTitle(unread, texts.app);
  }, [unread, texts]);
}

function isTextField(el: Element | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  return el instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color'].includes(el.type);
}

/**
 * Only while the main screen is up and no dialog is open (a modal dialog owns the keyboard).
 * Actions change the store (which dialog is open, which chat), never click the page; only
 * moving the keyboard focus (the filter, the composer) touches the DOM.
 */
export function useShortcuts(store: AppStore, actions: Actions): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const action = shortcutFor(e, platform, isTextField(document.activeElement));
      if (!action) return;
      const s = store.getState();
      // The store's dialogs, and those that components keep themselves (authentication, certificates).
      if (s.dialog || s.linkToConfirm !== null || s.shortcutsHelpOpen || document.querySelector('dialog[open]') || !document.querySelector('.main-layout')) return;
      const accountId = s.activeAccountId;
      switch (action) {
        case 'focus-filter': {
          const filter = document.querySelector<HTMLInputElement>('[data-testid="roster-filter"]');
          if (!filter) return;
          filter.focus();
          filter.select();
          break;
        }
        case 'add-contact':
          // The dialog's state is in the store: the shortcut changes it, as the button does.
          if (!accountId) return;
          actions.openAddContact(accountId);
          break;
        case 'search':
          actions.openDialog({ kind: 'search' });
          break;
        case 'next-unread': {
          if (!accountId) return;
          const selected = s.selected?.accountId === accountId ? s.selected.peer : null;
          const jid = nextUnreadJid(s.rosters[accountId] ?? [], selected);
          if (jid) {
            actions.selectChat({ accountId, peer: jid });
            // The chat just opened, once React has shown it: the answer to the contact's waiting request, else the composer.
            requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="smp-answer"], [data-testid="composer"]')?.focus());
          }
          break;
        }
        case 'show-help':
          s.shortcutsHelpSet(true);
          break;
        case 'open-settings':
          s.dialogOpened({ kind: 'settings' });
          break;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, actions]);
}
