import { useRef } from 'react';
import type { Contact, E2eeView, OtrPolicy } from '../../shared/contract';
import type { Catalog } from '../../shared/i18n/catalog';
import { useMenuDismiss } from '../hooks/useMenuDismiss';
import { useTexts } from '../i18n/i18n';
import { privacyChoiceValue, privacyChoices } from '../privacyChoices';
import { contactTrust, shownPresence, type ShownPrivacy } from '../store/contactTrust';
import { displayName } from '../store/transitions';
import { PresenceDot } from './PresenceDot';

type Props = {
  contact: Contact;
  onStartPrivate: () => void;
  onEndPrivate: () => void;
  onAuthenticate: () => void;
  onPolicy: (policy: OtrPolicy | undefined) => void;
  /** Set when the administrator locked the privacy policy: the one in force and why. */
  lockedPolicy?: { policy: OtrPolicy; reason: string };
  /** The account is connected: the contact's presence is known (otherwise shown as unknown, not offline). */
  presenceKnown?: boolean;
  /** The schemes the user may pick for this contact (the policy's, in its order); `locked`: the policy names one. */
  schemes?: { options: readonly string[]; locked?: { scheme: string; reason: string } };
  onScheme?: (scheme: string | undefined) => void;
};

const privacyIcon: Record<ShownPrivacy, string> = { plaintext: '🔓', private: '🔒', 'private-verified': '🔒', finished: '⚠️', unavailable: '⛔' };

export function ChatHeader({ contact, onStartPrivate, onEndPrivate, onAuthenticate, onPolicy, lockedPolicy, presenceKnown = true, schemes, onScheme }: Props) {
  const texts = useTexts();
  const t = texts.privacy;
  const name = displayName(contact);
  const { privacy, isPrivate, schemeName, unavailable } = contactTrust(contact);
  const schemeSays = schemeName ? (privacy !== 'unavailable' ? t.scheme(schemeName) : unavailableText(t, unavailable, schemeName)) : undefined;
  const text = { label: t.label[privacy], explain: schemeSays ? `${t.explain[privacy]} ${schemeSays}` : t.explain[privacy] };
  const show = shownPresence(contact.presence.show, presenceKnown);
  const menu = useRef<HTMLDetailsElement>(null);
  useMenuDismiss(menu);
  /** Runs a menu item and closes the menu. */
  const choose = (action: () => void) => () => {
    if (menu.current) menu.current.open = false;
    action();
  };
  return (
    <header className="chat-header">
      <PresenceDot show={show} />
      <div className="chat-header-text">
        <h2 className="chat-title">{name}</h2>
        <p className="chat-subtitle">
          {name !== contact.jid && <span className="jid">{contact.jid} · </span>}
          <span data-testid="chat-presence" data-show={show}>
            {texts.presence[show]}
          </span>
          {contact.presence.status && <span> — {contact.presence.status}</span>}
        </p>
      </div>
      <details className="privacy-menu" ref={menu}>
        <summary
          className={`privacy-badge privacy-${privacy}`}
          data-testid="privacy-state"
          data-privacy={privacy}
          title={text.explain}
          // The accessible name holds the visible text, scheme included (WCAG 2.5.3, label in name).
          aria-label={t.options(schemeName ? `${text.label} · ${schemeName}` : text.label)}
        >
          <span aria-hidden="true">{privacyIcon[privacy]} </span>
          {text.label}
          {schemeName && (
            <span className="privacy-scheme" data-testid="privacy-scheme">
              {' · '}
              {schemeName}
            </span>
          )}
          <span className="menu-caret" aria-hidden="true">
            ▾
          </span>
        </summary>
        <div className="menu-panel" role="group" aria-label={t.optionsGroup}>
          <p className="menu-explain">{text.explain}</p>
          <button type="button" className="menu-item" data-testid="start-private" onClick={choose(onStartPrivate)}>
            {isPrivate ? t.restart : t.start}
          </button>
          {privacy !== 'plaintext' && (
            <button type="button" className="menu-item" data-testid="end-private" onClick={choose(onEndPrivate)}>
              {t.end}
            </button>
          )}
          <button type="button" className="menu-item" data-testid="authenticate" onClick={choose(onAuthenticate)}>
            {t.authenticate(name)}
          </button>
          <label className="menu-field">
            <span>{t.policyFor(name)}</span>
            <select
              className="select"
              data-testid="otr-policy"
              value={privacyChoiceValue(lockedPolicy ? lockedPolicy.policy : contact.otrPolicy)}
              disabled={lockedPolicy !== undefined}
              title={lockedPolicy ? t.locked(lockedPolicy.reason) : undefined}
              onChange={(e) => onPolicy(e.target.value === '' ? undefined : (e.target.value as OtrPolicy))}
            >
              {privacyChoices(t).map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
            {lockedPolicy && (
              <span className="muted small" data-testid="otr-policy-locked" title={lockedPolicy.reason}>
                {t.lockedByAdmin}
              </span>
            )}
          </label>
          {schemes && onScheme && (
            <label className="menu-field">
              <span>{t.schemeFor(name)}</span>
              <select
                className="select"
                data-testid="e2ee-scheme"
                value={schemes.locked ? schemes.locked.scheme : (contact.e2eeScheme ?? '')}
                disabled={schemes.locked !== undefined}
                title={schemes.locked ? t.locked(schemes.locked.reason) : undefined}
                onChange={(e) => onScheme(e.target.value === '' ? undefined : e.target.value)}
              >
                {!schemes.locked && <option value="">{t.schemeAuto}</option>}
                {schemes.options.map((scheme) => (
                  <option key={scheme} value={scheme}>
                    {t.schemeName[scheme] ?? scheme.toUpperCase()}
                  </option>
                ))}
              </select>
              {schemes.locked && (
                <span className="muted small" data-testid="e2ee-scheme-locked" title={schemes.locked.reason}>
                  {t.lockedByAdmin}
                </span>
              )}
            </label>
          )}
        </div>
      </details>
    </header>
  );
}

/** Why nothing can be sent in a chat whose scheme is unavailable, and what the user can do. */
function unavailableText(t: Catalog['privacy'], why: E2eeView['unavailable'], scheme: string): string {
  if (why === 'devices-gone') return t.devicesGone(scheme);
  if (why === 'keys-unreadable') return t.keysUnreadable(scheme);
  return t.noDevices(scheme);
}
