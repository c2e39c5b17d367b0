type Props = { value: string; onChange: (text: string) => void };

/** Filters the roster by name or address as the user types; Escape clears it. */
export function RosterFilter({ value, onChange }: Props) {
  return (
    <div className="roster-filter">
      <input
        type="search"
        className="input"
        data-testid="roster-filter"
        aria-label="Filter contacts by name or address"
        placeholder="Filter contacts"
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
