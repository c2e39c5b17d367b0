/** The settings screen, connected: main's settings in, changes out (main answers with what is in force). */
import { useState } from 'react';
import type { AppSettings } from '../../shared/contract';
import { SettingsDialog } from '../components/SettingsDialog';
import { useActions, useAppState } from './context';

export function SettingsScreen() {
  const open = useAppState((s) => s.settingsOpen);
  const view = useAppState((s) => s.settings);
  const actions = useActions();
  const [error, setError] = useState<string | null>(null);
  if (!open || !view) return null;
  const change = async (changes: Partial<AppSettings>) => {
    const result = await actions.setSettings(changes);
    setError(result.ok ? null : result.error.message);
  };
  const close = () => {
    setError(null);
    actions.setSettingsOpen(false);
  };
  return <SettingsDialog view={view} error={error} onChange={(c) => void change(c)} onClose={close} />;
}

/** The sidebar's way in (Ctrl+, is the other). */
export function OpenSettingsButton({ label }: { label: string }) {
  const actions = useActions();
  return (
    <button type="button" className="button subtle small" data-testid="open-settings" onClick={() => actions.setSettingsOpen(true)}>
      ⚙️ {label}
    </button>
  );
}
