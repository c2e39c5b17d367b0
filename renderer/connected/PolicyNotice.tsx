import { useTexts, wordedText } from '../i18n/i18n';
import { useAppState, useAppStore } from './context';

/**
 * The administrator's policy could not be read: say so, and that the strictest settings apply.
 * It changed while Klatsch ran: say which settings, until the user has seen it.
 */
export function PolicyNotice() {
  const problem = useAppState((s) => s.policy?.problem);
  const problemReasons = useAppState((s) => s.policy?.problemReasons);
  const changes = useAppState((s) => s.policyChanges);
  const store = useAppStore();
  const texts = useTexts();
  return (
    <>
      {problem && (
        <p className="storage-problem" role="alert" data-testid="policy-problem">
          {/* Worded by reason; the core's English framed by the summary only from an older core. */}
          {problemReasons?.length ? problemReasons.map((p) => wordedText(texts, p)).join(' ') : texts.errors.withDetail(texts.app.policyProblem, problem)}
        </p>
      )}
      {changes && (
        <p className="storage-problem" role="status" data-testid="policy-changed">
          {texts.app.policyChanged(changes.join(', '))}{' '}
          <button type="button" className="button small" onClick={() => store.getState().policyChangesDismissed()}>
            {texts.app.policyChangedDismiss}
          </button>
        </p>
      )}
    </>
  );
}
