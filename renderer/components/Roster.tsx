import { memo, useCallback, useMemo, useRef, type KeyboardEvent } from 'react';
import type { Contact } from '../../shared/contract';
import { useTexts, type Catalog } from '../i18n/i18n';
import { contactTrust, shownPresence } from '../store/contactTrust';
import { NO_GROUP, nextContactRow, rosterRows, type RosterSection } from '../store/rosterView';
import { displayName } from '../store/transitions';
import { PresenceDot } from './PresenceDot';
import { VirtualList, type VirtualListHandle } from './VirtualList';

type Props = {
  sections: RosterSection[];
  selectedJid: string | null;
  onSelect: (jid: string) => void;
  /** Folds a group away or opens it (absent: groups cannot be folded). */
  onToggleGroup?: (key: string) => void;
  /** Whether the address is in the roster (not someone who only wrote to us): only those can be edited. */
  inRoster?: (jid: string) => boolean;
  onEdit?: (jid: string) => void;
  /** Offered for those not in the roster (they wrote to us): add them as a contact. */
  onAdd?: (jid: string) => void;
  /** The contact's picture (a data: URL), if any. */
  avatarOf?: (jid: string) => string | undefined;
  /** Set while the user filters: what to say when nothing matches. */
  filter?: string;
  /** The account is connected: presences are known (otherwise shown as unknown, not offline). */
  presenceKnown?: boolean;
};

type SecondLine = 'new-key' | 'no-devices' | 'wants-to-authenticate' | 'status' | 'not-in-contacts' | 'waiting-for-approval' | 'presence-not-shared';

/** What the second line of a contact says: what needs the user first, then the status text, then the subscription. */
function secondLineOf(c: Contact, inRoster: boolean): SecondLine | null {
  // What needs the user: the contact asks to be authenticated, or uses a new key nothing is sent with yet.
  const trust = contactTrust(c);
  if (trust.keyWarning) return 'new-key';
  if (trust.privacy === 'unavailable') return 'no-devices';
  if (trust.smp?.phase === 'asked') return 'wants-to-authenticate';
  if (c.presence.status) return 'status';
  if (!inRoster) return 'not-in-contacts';
  if (c.ask === 'subscribe') return 'waiting-for-approval';
  if (c.subscription === 'none' || c.subscription === 'from') return 'presence-not-shared';
  return null;
}

function secondLine(c: Contact, inRoster: boolean, t: Catalog['contacts']): { text: string; kind: 'attention' | 'status' | 'subscription' } | null {
  switch (secondLineOf(c, inRoster)) {
    case 'new-key':
      return { text: t.newKey, kind: 'attention' };
    case 'no-devices': {
      // Nothing can be sent (as the header says): the contact has no devices for the chat's scheme, or our keys cannot be read.
      const { unavailable, schemeName } = contactTrust(c);
      return { text: (unavailable === 'keys-unreadable' ? t.keysUnreadable : t.noDevices)(schemeName ?? ''), kind: 'attention' };
    }
    case 'wants-to-authenticate':
      return { text: t.wantsToAuthenticate, kind: 'attention' };
    case 'status':
      return { text: c.presence.status, kind: 'status' };
    case 'not-in-contacts':
      return { text: t.notInContacts, kind: 'subscription' };
    case 'waiting-for-approval':
      return { text: t.waitingForApproval, kind: 'subscription' };
    case 'presence-not-shared':
      return { text: t.presenceNotShared, kind: 'subscription' };
    case null:
      return null;
  }
}

/**
 * Rows of one class are as tall as each other (the virtual list gives an unseen row its class's
 * measured height): one line or two, or a warning (up to two lines). Kept per contact object, as a
 * filter keystroke asks for every row's.
 */
const heightClasses = new WeakMap<Contact, { inRoster: boolean; heightClass: string }>();
function contactHeightClass(c: Contact, inRoster: boolean): string {
  const known = heightClasses.get(c);
  if (known && known.inRoster === inRoster) return known.heightClass;
  const line = secondLineOf(c, inRoster);
  const heightClass = line === null ? 'contact' : line === 'new-key' || line === 'no-devices' || line === 'wants-to-authenticate' ? 'contact-attention' : 'contact-two-lines';
  heightClasses.set(c, { inRoster, heightClass });
  return heightClass;
}

type RowProps = {
  c: Contact;
  selected: boolean;
  inRoster: boolean;
  avatar: string | undefined;
  onSelect: (jid: string) => void;
  onEdit?: ((jid: string) => void) | undefined;
  onAdd?: ((jid: string) => void) | undefined;
  presenceKnown: boolean;
};

/** Memoised (its callbacks take the address): a row whose contact did not change is not rendered again when the list moves or filters. */
const ContactRow = memo(function ContactRow({ c, selected, inRoster, avatar, onSelect, onEdit, onAdd, presenceKnown }: RowProps) {
  const texts = useTexts();
  const t = texts.contacts;
  const name = displayName(c);
  const line = secondLine(c, inRoster, t);
  const show = shownPresence(c.presence.show, presenceKnown);
  const { privacy, verified, isPrivate } = contactTrust(c);
  // In the order the row shows them (name, then its line): the visible words read as part of the name (WCAG 2.5.3).
  const label = [name, line?.text.replace(/^\W+ /u, ''), c.unread > 0 ? t.unread(c.unread) : '', texts.presence[show]]
    .filter(Boolean)
    .join(', ');
  return (
    <div className="contact-row">
      <button
        type="button"
        className={`contact${selected ? ' selected' : ''}`}
        data-testid="contact"
        data-jid={c.jid}
        data-show={show}
        data-subscription={c.subscription}
        data-ask={c.ask}
        aria-current={selected ? 'true' : undefined}
        aria-label={label}
        title={c.jid}
        onClick={() => onSelect(c.jid)}
      >
        {avatar ? (
          <span className="avatar-wrap">
            <img className="avatar" data-testid="contact-avatar" src={avatar} alt="" />
            <PresenceDot show={show} />
          </span>
        ) : (
          <PresenceDot show={show} />
        )}
        <span className="contact-text">
          {/* Only the name is shortened: the lock and its check mark always show in full. */}
          <span className="contact-name">
            <span className="contact-name-text">{name}</span>
            {isPrivate && (
              <span
                className={`contact-privacy privacy-${privacy}`}
                data-testid="contact-private"
                data-privacy={privacy}
                title={verified ? t.privateVerified : t.privateUnverified}
              >
                🔒{verified ? '✓' : ''}
              </span>
            )}
          </span>
          {line && (
            <span
              className={`contact-status${line.kind === 'attention' ? ' contact-attention' : line.kind === 'subscription' ? ' contact-subscription' : ''}`}
              data-testid={line.kind === 'attention' ? 'contact-attention' : line.kind === 'subscription' ? 'contact-subscription' : undefined}
            >
              {line.text}
            </span>
          )}
        </span>
        {c.unread > 0 && (
          <span className="badge" data-testid="unread-badge">
            {c.unread > 99 ? '99+' : c.unread}
          </span>
        )}
      </button>
      {onEdit && (
        <button type="button" className="contact-edit" data-testid="edit-contact" aria-label={t.edit(name)} title={t.editTitle} onClick={() => onEdit(c.jid)}>
          ⋯
        </button>
      )}
      {onAdd && (
        <button type="button" className="contact-edit" data-testid="add-stranger" aria-label={t.addStranger(c.jid)} title={t.addStrangerTitle} onClick={() => onAdd(c.jid)}>
          +
        </button>
      )}
    </div>
  );
});

const everyoneInRoster = () => true;

const NAV_KEYS = ['ArrowDown', 'ArrowUp', 'Home', 'End'] as const;
type NavKey = (typeof NAV_KEYS)[number];
const isNavKey = (key: string): key is NavKey => (NAV_KEYS as readonly string[]).includes(key);

/**
 * The contact list in groups (available contacts first in each; the order comes sorted from the store),
 * virtualized: only the rows near the viewport are in the DOM. Arrow keys, Home and End move focus
 * between contacts, scrolling the next one in.
 */
export function Roster({ sections, selectedJid, onSelect, onToggleGroup, inRoster = everyoneInRoster, onEdit, onAdd, avatarOf, filter = '', presenceKnown = true }: Props) {
  const t = useTexts().contacts;
  const list = useRef<VirtualListHandle>(null);
  const rows = useMemo(() => rosterRows(sections), [sections]);
  const itemKey = useCallback((i: number) => rows[i]!.key, [rows]);
  // Measured after they are shown; a contact with a second line is taller.
  const estimateHeight = useCallback((i: number) => (rows[i]!.kind === 'group' ? 32 : 46), [rows]);
  const heightClass = useCallback(
    (i: number) => {
      const row = rows[i]!;
      return row.kind === 'group' ? 'group' : contactHeightClass(row.contact, inRoster(row.contact.jid));
    },
    [rows, inRoster],
  );
  const empty = sections.every((s) => s.total === 0);
  if (empty) {
    return (
      <div className="roster-empty" data-testid="roster">
        <p className="muted">{filter.trim() ? t.noMatch(filter.trim()) : t.none}</p>
      </div>
    );
  }

  function onKeyDown(e: KeyboardEvent<HTMLElement>) {
    if (!isNavKey(e.key) || (e.target as HTMLElement).tagName === 'INPUT') return;
    const row = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-index]');
    const onContact = (document.activeElement as HTMLElement | null)?.matches('button[data-jid]') ?? false;
    const current = row && onContact ? Number(row.dataset.index) : -1;
    const next = nextContactRow(rows, current, e.key);
    if (next === -1) return;
    e.preventDefault();
    list.current?.focusItem(next, 'button[data-jid]');
  }

  function renderRow(i: number) {
    const row = rows[i]!;
    if (row.kind === 'group') {
      const s = row.section;
      return (
        <h3 className="roster-group-heading">
          <button
            type="button"
            className="group-toggle disclosure"
            data-testid="group-toggle"
            aria-expanded={!s.collapsed}
            disabled={!onToggleGroup}
            onClick={() => onToggleGroup?.(s.key)}
          >
            <span className="disclosure-arrow" aria-hidden="true" />
            <span className="group-name">{s.key === NO_GROUP ? t.noGroup : s.label}</span>
            <span className="count">{s.total}</span>
          </button>
        </h3>
      );
    }
    const c = row.contact;
    const known = inRoster(c.jid);
    return (
      <ContactRow
        c={c}
        selected={c.jid === selectedJid}
        inRoster={known}
        avatar={avatarOf?.(c.jid)}
        onSelect={onSelect}
        onEdit={known ? onEdit : undefined}
        onAdd={known ? undefined : onAdd}
        presenceKnown={presenceKnown}
      />
    );
  }

  function rowProps(i: number): Record<string, string | undefined> {
    const row = rows[i]!;
    if (row.kind === 'group') {
      return { className: 'roster-group', 'data-testid': 'roster-group', 'data-group': row.section.key, 'data-collapsed': String(row.section.collapsed) };
    }
    return { className: 'roster-item', 'data-group': row.group };
  }

  return (
    <VirtualList
      ref={list}
      className="roster"
      testId="roster"
      listClassName="roster-list"
      listLabel={t.list}
      count={rows.length}
      itemKey={itemKey}
      estimateHeight={estimateHeight}
      heightClass={heightClass}
      renderItem={renderRow}
      itemProps={rowProps}
      // About five rows beyond each edge: each row in the DOM costs a filter keystroke its mounting, style and layout.
      overscan={240}
      onKeyDown={onKeyDown}
    />
  );
}
