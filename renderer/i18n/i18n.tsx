/**
 * Texts for the UI in the user's language. Components call `useTexts()` and read
 * `texts.section.key` (or call it, for texts with parameters); the language comes from
 * the nearest `LanguageProvider`, so presentational components need no store.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { catalogFor, localeFor, type Catalog, type Language } from '../../shared/i18n/catalog';

export { languageFromPreferences, languages, localeFor, type Catalog, type Language } from '../../shared/i18n/catalog';
export { errorText, policyReasonText, wordedText } from './errors';

const LanguageContext = createContext<Language>('en');

export function LanguageProvider({ language, children }: { language: Language; children: ReactNode }) {
  return <LanguageContext.Provider value={language}>{children}</LanguageContext.Provider>;
}

export function useLanguage(): Language {
  return useContext(LanguageContext);
}

export function useTexts(): Catalog {
  return catalogFor(useContext(LanguageContext));
}

/** The BCP 47 locale for Intl (dates, times, numbers) in the active language. */
export function useLocale(): string {
  const language = useLanguage();
  return localeFor(language, typeof navigator === 'undefined' ? [] : navigator.languages);
}
