import { useTexts } from '../i18n/i18n';

type Props = { value: string; onChange: (text: string) => void };

/** Filters the roster by name or address as the user types; Escape clears it. */
export function RosterFilter({ value, onChange }: Props) {
  const t = useTexts().contacts;
  return (
    <div className="roster-filter">
      <input
        type="search"
        className="input"
        data-testid="roster-filter"
        aria-label={t.filterLabel}
        placeholder={t.filterPlaceholder}
        spellCheck={false}
        autoComplete="off"
        maxLength={256}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && value) {
            e.preventDefault();
            onChange('');
          }
        }}
      />
    </div>
  );
}
