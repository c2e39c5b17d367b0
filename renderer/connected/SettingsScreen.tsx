/** The settings screen, connected: main's settings in, changes out (main answers with what is in force). */
import { useState } from 'react';
import type { AppSettings } from '../../shared/contract';
import { SettingsDialog } from '../components/SettingsDialog';
import { errorText, policyReasonText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

export function SettingsScreen() {
  const open = useAppState((s) => s.dialog?.kind === 'settings');
  const view = useAppState((s) => s.settings);
  const actions = useActions();
  const texts = useTexts();
  const policyProblem = useAppState((s) => s.policy?.problem);
  const policySource = useAppState((s) => s.policy?.source);
  const [error, setError] = useState<string | null>(null);
  // What the user just chose, shown until main answers (then main's answer, or the old value and why).
  const [pending, setPending] = useState<Partial<AppSettings>>({});
  if (!open || !view) return null;
  const change = async (changes: Partial<AppSettings>) => {
    setPending((p) => ({ ...p, ...changes }));
    const result = await actions.setSettings(changes);
    setPending((p) => Object.fromEntries(Object.entries(p).filter(([k, v]) => changes[k as keyof AppSettings] !== v)));
    setError(result.ok ? null : errorText(texts, result.error));
  };
  const close = () => {
    setError(null);
    actions.closeDialog();
  };
  // A lock says why in the user's language; the core's English only without a policy to word it from.
  const policyReason = policyReasonText(texts, { problem: policyProblem, source: policySource });
  const locked = Object.fromEntries(Object.entries(view.locked).map(([setting, english]) => [setting, policySource !== undefined || policyProblem !== undefined ? policyReason : english]));
  const shown = { ...view, values: { ...view.values, ...pending }, locked };
  return <SettingsDialog view={shown} error={error} onChange={(c) => void change(c)} onClose={close} />;
}

/** The sidebar's way in (Ctrl+, is the other). */
export function OpenSettingsButton({ label }: { label: string }) {
  const actions = useActions();
  return (
    <button type="button" className="icon-button" data-testid="open-settings" aria-label={label} title={label} onClick={() => actions.openDialog({ kind: 'settings' })}>
      <span aria-hidden="true">⚙️</span>
    </button>
  );
}
