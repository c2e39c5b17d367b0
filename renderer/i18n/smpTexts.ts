/**
 * What the authentication banner says about how it ended, in the user's language: the words are
 * chosen by smpWording (renderer/store/contactTrust.ts) with the header's trust, so that the banner
 * and the header never contradict each other. No DOM, no React.
 */
import type { SmpView } from '../../shared/contract';
import type { Catalog } from '../../shared/i18n/catalog';
import { smpWording, type ContactTrust } from '../store/contactTrust';

export interface SmpResultText {
  title?: string;
  body: string;
}

/** The banner's words for a finished authentication (succeeded, failed, aborted, error); undefined while it runs or waits. */
export function smpResultText(t: Catalog['auth'], trust: Pick<ContactTrust, 'verified' | 'smp'>, name: string): SmpResultText | undefined {
  const wording = smpWording(trust);
  const smp: SmpView | undefined = trust.smp;
  if (!wording || !smp) return undefined;
  switch (wording.phase) {
    case 'succeeded':
      if (wording.says === 'we-verified-them') {
        const askedRight = smp.phase === 'succeeded' && smp.weStarted && smp.question !== undefined;
        return { title: t.verified(name), body: askedRight ? t.answeredCorrectly(name) : t.sameSecret };
      }
      return { title: t.verifiedYou(name), body: wording.says === 'they-verified-us' ? t.verifiedYouExplain(name) : t.verifiedYouAlreadyExplain(name) };
    case 'failed':
      return {
        title: t.failed,
        body: wording.says === 'we-failed' ? t.weFailed(name) : wording.says === 'they-failed' ? t.theyFailed(name) : t.theyFailedStillVerified,
      };
    case 'aborted':
      return { body: smp.phase === 'aborted' && smp.replaced ? t.replacedByPeer(name) : smp.phase === 'aborted' && smp.byPeer ? t.cancelledByPeer(name) : t.cancelled };
    case 'error':
      return { body: t.error };
    default:
      return undefined;
  }
}
