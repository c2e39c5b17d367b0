/** The confirmation for a clicked link, while the store holds one (`linkToConfirm`). */
import { useMemo, useState } from 'react';
import { LinkConfirmDialog } from '../components/LinkConfirmDialog';
import { describeLink } from '../links';
import { errorText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

export function LinkConfirm() {
  const link = useAppState((s) => s.linkToConfirm);
  return link === null ? null : <LinkConfirmOpen key={link} link={link} />;
}

function LinkConfirmOpen({ link }: { link: string }) {
  const actions = useActions();
  const texts = useTexts();
  const info = useMemo(() => describeLink(link), [link]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <LinkConfirmDialog
      info={info}
      busy={busy}
      error={error}
      onCancel={() => actions.cancelLink()}
      onOpen={async () => {
        setBusy(true);
        // What the parser read, not the text as written: the address the user was shown.
        const result = await actions.confirmLink(info.href);
        setBusy(false);
        if (!result.ok) setError(errorText(texts, result.error));
      }}
    />
  );
}
