/**
 * Applies the app-wide settings to the page, live: the UI's language (and
 * <html lang>), following the OS's languages for 'system', and a forced light
 * or dark theme (data-theme on <html>; the CSS follows the OS without it).
 */
import { useEffect, useState, type ReactNode } from 'react';
import { languageInForce, themeAttribute } from '../appSettings';
import { LanguageProvider } from '../i18n/i18n';
import { useAppState } from './context';

export function SettingsApplied({ children }: { children: ReactNode }) {
  const languageSetting = useAppState((s) => s.settings?.values.language ?? 'system');
  const themeSetting = useAppState((s) => s.settings?.values.theme ?? 'system');
  const [osLanguages, setOsLanguages] = useState<readonly string[]>(() => navigator.languages);
  useEffect(() => {
    const changed = () => setOsLanguages(navigator.languages);
    window.addEventListener('languagechange', changed);
    return () => window.removeEventListener('languagechange', changed);
  }, []);
  const language = languageInForce(languageSetting, osLanguages);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  useEffect(() => {
    const theme = themeAttribute(themeSetting);
    if (theme) document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
  }, [themeSetting]);
  return <LanguageProvider language={language}>{children}</LanguageProvider>;
}
