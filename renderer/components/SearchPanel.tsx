/**
 * The history search: a field, and what it found grouped by chat. Each result
 * is a button (keyboard: Tab or the arrow keys); choosing one opens its chat at
 * that message. Snippets are text with <mark> around the words found.
 */
import { useId, type KeyboardEvent } from 'react';
import type { SearchHit } from '../../shared/contract';
import { formatFullDate, formatMessageTime } from '../format';
import { useLocale, useTexts } from '../i18n/i18n';
import { groupHitsByChat, highlightParts, searchStatusText, type UnkeptChat } from '../search';
import { ModalDialog } from './ModalDialog';

export type SearchState =
  | { kind: 'idle' }
  | { kind: 'searching' }
  | { kind: 'done'; query: string; hits: SearchHit[]; more: boolean; unkept?: UnkeptChat[] | undefined }
  | { kind: 'failed'; message: string };

type Props = {
  query: string;
  state: SearchState;
  /** The chat's name (roster name or address). */
  chatName: (accountId: string, peer: string) => string;
  /** The account's address, shown with each chat when there are several accounts; undefined: one account. */
  accountName?: ((accountId: string) => string) | undefined;
  /** The chat on screen: its private messages not kept are named first. */
  openChat?: { accountId: string; peer: string } | undefined;
  onQueryChange: (text: string) => void;
  onChoose: (hit: SearchHit) => void;
  onClose: () => void;
};

/** Arrow keys move between the results, as in the roster. */
function onResultsKeyDown(e: KeyboardEvent<HTMLDivElement>) {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const buttons = Array.from(e.currentTarget.querySelectorAll<HTMLButtonElement>('button[data-testid="search-result"]'));
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next = e.key === 'ArrowDown' ? Math.min(buttons.length - 1, at + 1) : Math.max(0, at - 1);
  e.preventDefault();
  buttons[next]?.focus();
}

export function SearchPanel({ query, state, chatName, accountName, openChat, onQueryChange, onChoose, onClose }: Props) {
  const t = useTexts().search;
  const locale = useLocale();
  const id = useId();
  const groups = state.kind === 'done' ? groupHitsByChat(state.hits) : [];
  return (
    <ModalDialog className="search-dialog" testId="search-dialog" labelledBy={`${id}-title`} onClose={onClose}>
      {/* The field comes first: showModal() focuses the first focusable element. */}
      <h2 id={`${id}-title`}>{t.title}</h2>
      <label className="search-label" htmlFor={`${id}-query`}>
        {t.label}
      </label>
      <input
        id={`${id}-query`}
        className="input"
        // Not type="search": there Escape first clears the field instead of closing the dialog.
        type="text"
        role="searchbox"
        data-testid="search-input"
        autoFocus
        value={query}
        maxLength={256}
        aria-describedby={`${id}-hint`}
        onChange={(e) => onQueryChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            e.currentTarget.closest('dialog')?.querySelector<HTMLButtonElement>('button[data-testid="search-result"]')?.focus();
          }
        }}
      />
      <p className="hint" id={`${id}-hint`}>
        {t.hint}
      </p>
      <div className="search-status" role="status" aria-live="polite" data-testid="search-status">
        {state.kind === 'searching' && t.searching}
        {state.kind === 'failed' && t.failed(state.message)}
        {state.kind === 'done' && searchStatusText(t, state, openChat)}
      </div>
      {groups.length > 0 && (
        <div className="search-results" data-testid="search-results" onKeyDown={onResultsKeyDown}>
          {groups.map((g) => {
            const name = chatName(g.accountId, g.peer);
            return (
              <section key={`${g.accountId}\n${g.peer}`} className="search-group" data-testid="search-group" data-peer={g.peer} data-account={g.accountId}>
                <h3 className="search-group-heading">
                  {name}
                  {accountName && <span className="search-account"> · {accountName(g.accountId)}</span>}
                </h3>
                <ul className="search-list" aria-label={name}>
                  {g.hits.map((hit) => {
                    const who = hit.direction === 'out' ? t.you : name;
                    const when = formatMessageTime(hit.timestamp, locale);
                    return (
                      <li key={`${hit.direction}\n${hit.id}`}>
                        <button
                          type="button"
                          className="search-result"
                          data-testid="search-result"
                          data-message-id={hit.id}
                          onClick={() => onChoose(hit)}
                        >
                          <span className="search-meta">
                            {who} · <time dateTime={new Date(hit.timestamp).toISOString()} title={formatFullDate(hit.timestamp, locale)}>
                              {when}
                            </time>
                          </span>
                          <span className="search-snippet">
                            {highlightParts(hit.snippet, hit.highlights).map(([text, marked], i) => (marked ? <mark key={i}>{text}</mark> : text))}
                          </span>
                        </button>
                      </li>
                    );
                  })}
                </ul>
              </section>
            );
          })}
        </div>
      )}
      <div className="button-row">
        <button type="button" className="button" data-testid="search-close" onClick={onClose}>
          {t.close}
        </button>
      </div>
    </ModalDialog>
  );
}
