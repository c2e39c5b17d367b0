/** The requests of one domain. App-wide settings, links to open and the window's state (desktop notifications). */
import { KlatschError } from '../errors.js';
import { safeExternalUrl } from '../links/external-links.js';
import { parseXmppUri } from '../links/xmpp-uri.js';
import type { Handlers } from '../ipc/dispatch.js';
import type { CoreContext } from './context.js';

export function settingsHandlers(core: CoreContext): Pick<Handlers, 'openExternalLink' | 'setSettings' | 'windowStateChanged'> {
  return {
    openExternalLink: async ({ url }) => {
      // The renderer asked the user, but what reaches the system is decided here, again.
      const safe = safeExternalUrl(url);
      if (!safe) throw new KlatschError('invalid-request', 'Klatsch opens only https:, mailto: and xmpp: links, and none that hide their address.', { reason: 'link-refused' });
      if (safe.protocol === 'xmpp:') {
        const link = parseXmppUri(safe.href);
        if (!link) throw new KlatschError('invalid-request', 'That xmpp: link could not be read.', { reason: 'xmpp-link-unreadable' });
        core.emit('xmppLinkOpened', link);
        return { opened: 'in-app' as const };
      }
      if (!core.options.openExternal) throw new KlatschError('invalid-request', 'Opening links is not possible here.', { reason: 'links-unavailable' });
      await core.options.openExternal(safe.href);
      return { opened: 'external' as const };
    },

    setSettings: async (changes) => {
      if (changes.notifications !== undefined && core.policy.notificationsLocked) {
        throw new KlatschError('forbidden-by-policy', `The notification setting is locked. ${core.policy.reason}`, { reason: 'notifications-locked', params: core.policy.lockedParams });
      }
      if (changes.waitForPrivate !== undefined && core.policy.waitForPrivateLocked) {
        throw new KlatschError('forbidden-by-policy', `Waiting for a private conversation is set by your administrator. ${core.policy.reason}`, { reason: 'private-wait-locked', params: core.policy.lockedParams });
      }
      if (changes.omemoTrust !== undefined && core.policy.omemoTrustLocked) {
        throw new KlatschError('forbidden-by-policy', `How new OMEMO devices are trusted is set by your administrator. ${core.policy.reason}`, { reason: 'omemo-trust-locked', params: core.policy.lockedParams });
      }
      if (changes.otrV3Only !== undefined && core.policy.otrV3OnlyLocked) {
        throw new KlatschError('forbidden-by-policy', `The OTR version setting is locked. ${core.policy.reason}`, { reason: 'otr-versions-locked', params: core.policy.lockedParams });
      }
      const v3OnlyBefore = core.otrV3Only();
      try {
        await core.settings.setAppSettings(changes);
      } catch (error) {
        throw new KlatschError('storage', `The settings could not be saved: ${(error as Error).message}`, { reason: 'settings-not-saved', params: { detail: (error as Error).message } });
      }
      if (core.otrV3Only() !== v3OnlyBefore) await Promise.all([...core.accounts.values()].map((a) => a.e2eePolicyChanged()));
      const view = core.settingsView();
      core.emit('settingsChanged', view);
      core.refreshDesktop(); // the tray's menu follows the language
      return view;
    },

    windowStateChanged: async ({ focused, openChat }) => {
      core.notifier.windowState({ focused, openChat: openChat ? { accountId: openChat.accountId, peer: openChat.peer.toLowerCase() } : null });
      return {};
    },
  };
}
