/**
 * A message's text with its links as buttons. Every part is a React text
 * node: nothing in a message is ever interpreted as HTML. Clicking a link
 * only asks (through `LinkOpener`); what opens is decided after the user
 * confirmed, by main.
 */
import { createContext, useContext, useMemo } from 'react';
import { useTexts } from '../i18n/i18n';
import { splitLinks } from '../links';

/** What clicking a link in a message does: the connected App asks the user first. Default: nothing. */
export const LinkOpener = createContext<(link: string) => void>(() => {});

export function MessageBody({ text }: { text: string }) {
  const texts = useTexts();
  const open = useContext(LinkOpener);
  const segments = useMemo(() => splitLinks(text), [text]);
  return (
    <>
      {segments.map((s, i) =>
        s.kind === 'text' ? (
          s.text
        ) : (
          <button key={i} type="button" className="message-link" data-testid="message-link" title={texts.links.linkTitle(s.text)} onClick={() => open(s.text)}>
            {s.text}
          </button>
        ),
      )}
    </>
  );
}
