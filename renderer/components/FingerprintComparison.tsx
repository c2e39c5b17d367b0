import { useTexts } from '../i18n/i18n';

type Props = {
  peerName: string;
  ownFingerprint: string | undefined;
  /** The contact's key being compared; absent when there is none to show. */
  theirFingerprint: string | undefined;
  /** A fingerprint the user got elsewhere (an `xmpp:…?otr-fingerprint=` link), compared with theirs. */
  expectedFingerprint?: string | undefined;
  /** The user's explicit word that they compared both on another channel and they match. */
  confirmed: boolean;
  disabled?: boolean;
  onConfirmed: (confirmed: boolean) => void;
};

/** Fingerprints compared as 40 hex digits, whatever the spacing or case. */
const sameFingerprint = (a: string, b: string) => a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();

/**
 * Both fingerprints side by side, to be compared with the contact on another channel (in person, on the
 * phone), and the user's confirmation that they match: the one way a key is verified by hand, in the
 * authenticate dialog and in the trust manager alike.
 */
export function FingerprintComparison({ peerName, ownFingerprint, theirFingerprint, expectedFingerprint, confirmed, disabled, onConfirmed }: Props) {
  const t = useTexts().auth;
  return (
    <>
      <p className="hint">{t.fingerprintHint(peerName)}</p>
      <dl className="fingerprints">
        <dt>{t.yourFingerprint}</dt>
        <dd className="fingerprint" data-testid="auth-own-fingerprint">
          {ownFingerprint ?? t.noOwnFingerprint}
        </dd>
        <dt>{t.theirFingerprint(peerName)}</dt>
        <dd className="fingerprint" data-testid="auth-their-fingerprint">
          {theirFingerprint ?? t.noTheirFingerprint}
        </dd>
      </dl>
      {expectedFingerprint && theirFingerprint && (
        <p
          className={sameFingerprint(expectedFingerprint, theirFingerprint) ? 'hint fingerprint-match' : 'inline-error'}
          data-testid="auth-expected-fingerprint"
          role="status"
        >
          {sameFingerprint(expectedFingerprint, theirFingerprint) ? t.linkMatches(expectedFingerprint) : t.linkDiffers(expectedFingerprint)}
        </p>
      )}
      <label className="check confirm-check">
        <input
          type="checkbox"
          data-testid="auth-manual-verified"
          checked={confirmed}
          disabled={disabled}
          onChange={(e) => onConfirmed(e.target.checked)}
        />
        <span>{t.manualVerified(peerName)}</span>
      </label>
    </>
  );
}
