import { useTexts } from '../i18n/i18n';
import { useAppState } from './context';

/** The administrator's policy could not be read: say so, and that the strictest settings apply. */
export function PolicyNotice() {
  const problem = useAppState((s) => s.policy?.problem);
  const texts = useTexts();
  if (!problem) return null;
  return (
    <p className="storage-problem" role="alert" data-testid="policy-problem">
      {texts.errors.withDetail(texts.app.policyProblem, problem)}
    </p>
  );
}
