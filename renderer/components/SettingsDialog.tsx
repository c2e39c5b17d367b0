import { useId } from 'react';
import type { AppSettings, SettingsView } from '../../shared/contract';
import { useTexts } from '../i18n/i18n';
import { ModalDialog } from './ModalDialog';

type Props = {
  view: SettingsView;
  /** Why the last change was not saved, if it was not. */
  error: string | null;
  onChange: (changes: Partial<AppSettings>) => void;
  onClose: () => void;
};

/** The settings screen: every change applies at once (no Save button); a setting locked by policy says why. */
export function SettingsDialog({ view, error, onChange, onClose }: Props) {
  const texts = useTexts();
  const t = texts.settings;
  const id = useId();
  const { values, locked } = view;
  const themes: [AppSettings['theme'], string][] = [
    ['system', t.themeSystem],
    ['light', t.themeLight],
    ['dark', t.themeDark],
  ];
  const notifications: [AppSettings['notifications'], string][] = [
    ['sender-and-text', t.notifySenderAndText],
    ['sender-only', t.notifySenderOnly],
    ['off', t.notifyOff],
  ];
  const notificationsLocked = locked.notifications !== undefined;
  return (
    <ModalDialog className="settings-dialog" testId="settings-dialog" labelledBy={`${id}-title`} onClose={onClose}>
      <h2 id={`${id}-title`}>{t.title}</h2>
      <div className="field">
        <label htmlFor={`${id}-language`}>{texts.language.label}</label>
        <select
          id={`${id}-language`}
          data-testid="settings-language"
          value={values.language}
          onChange={(e) => onChange({ language: e.target.value as AppSettings['language'] })}
        >
          <option value="system">{texts.language.system}</option>
          {/* Each language in its own name, so that anyone finds theirs. */}
          <option value="en" lang="en">
            {texts.language.en}
          </option>
          <option value="de" lang="de">
            {texts.language.de}
          </option>
        </select>
      </div>
      <fieldset className="settings-group">
        <legend>{t.theme}</legend>
        {themes.map(([value, label]) => (
          <label className="check" key={value}>
            <input
              type="radio"
              name={`${id}-theme`}
              data-testid={`settings-theme-${value}`}
              checked={values.theme === value}
              onChange={() => onChange({ theme: value })}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset className="settings-group" disabled={notificationsLocked} aria-describedby={`${id}-notify-hint`}>
        <legend>{t.notifications}</legend>
        {notifications.map(([value, label]) => (
          <label className="check" key={value}>
            <input
              type="radio"
              name={`${id}-notifications`}
              data-testid={`settings-notifications-${value}`}
              checked={values.notifications === value}
              onChange={() => onChange({ notifications: value })}
            />
            {label}
          </label>
        ))}
        <p className="hint" id={`${id}-notify-hint`}>
          {t.notificationsHint}
        </p>
        {notificationsLocked && (
          <p className="hint locked-setting" data-testid="settings-notifications-locked">
            🔒 {t.locked(locked.notifications!)}
          </p>
        )}
      </fieldset>
      {/* Outside the group: a policy may lock what notifications show, never whether they sound. */}
      <label className="check">
        <input
          type="checkbox"
          data-testid="settings-sound"
          checked={values.notificationSound}
          disabled={values.notifications === 'off'}
          onChange={(e) => onChange({ notificationSound: e.target.checked })}
        />
        {t.sound}
      </label>
      <div className="settings-group">
        <label className="check">
          <input
            type="checkbox"
            data-testid="settings-otr-v3-only"
            checked={values.otrV3Only}
            disabled={locked.otrV3Only !== undefined}
            aria-describedby={`${id}-v3-hint`}
            onChange={(e) => onChange({ otrV3Only: e.target.checked })}
          />
          {t.otrV3Only}
        </label>
        <p className="hint" id={`${id}-v3-hint`}>
          {t.otrV3OnlyHint}
        </p>
        {locked.otrV3Only !== undefined && (
          <p className="hint locked-setting" data-testid="settings-otr-v3-only-locked">
            🔒 {t.locked(locked.otrV3Only)}
          </p>
        )}
      </div>
      <div className="settings-group">
        <label className="check">
          <input
            type="checkbox"
            data-testid="settings-wait-for-private"
            checked={values.waitForPrivate}
            disabled={locked.waitForPrivate !== undefined}
            aria-describedby={`${id}-wait-hint`}
            onChange={(e) => onChange({ waitForPrivate: e.target.checked })}
          />
          {texts.honest.waitForPrivate}
        </label>
        <p className="hint" id={`${id}-wait-hint`}>
          {texts.honest.waitForPrivateHint}
        </p>
        {locked.waitForPrivate !== undefined && (
          <p className="hint locked-setting" data-testid="settings-wait-for-private-locked">
            🔒 {t.locked(locked.waitForPrivate)}
          </p>
        )}
      </div>
      <fieldset className="settings-group" disabled={locked.omemoTrust !== undefined} aria-describedby={`${id}-omemo-trust-hint`}>
        <legend>{t.omemoTrust}</legend>
        {(
          [
            ['blind', t.omemoTrustBlind],
            ['ask', t.omemoTrustAsk],
          ] as const
        ).map(([value, label]) => (
          <label className="check" key={value}>
            <input
              type="radio"
              name={`${id}-omemo-trust`}
              data-testid={`settings-omemo-trust-${value}`}
              checked={values.omemoTrust === value}
              onChange={() => onChange({ omemoTrust: value })}
            />
            {label}
          </label>
        ))}
        <p className="hint" id={`${id}-omemo-trust-hint`}>
          {t.omemoTrustHint}
        </p>
        {locked.omemoTrust !== undefined && (
          <p className="hint locked-setting" data-testid="settings-omemo-trust-locked">
            🔒 {t.locked(locked.omemoTrust)}
          </p>
        )}
      </fieldset>
      {error && (
        <p className="inline-error" role="alert" data-testid="settings-error">
          {t.notSaved(error)}
        </p>
      )}
      <div className="button-row">
        <button type="button" className="button primary" data-testid="settings-close" autoFocus onClick={onClose}>
          {t.close}
        </button>
      </div>
    </ModalDialog>
  );
}
