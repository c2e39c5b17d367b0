import { useId } from 'react';
import type { SecretStorageStatus } from '../../shared/contract';
import { noSecretStorageText } from '../i18n/errors';
import { useTexts } from '../i18n/i18n';

type Props = {
  secretStorage: SecretStorageStatus;
  checked: boolean;
  onChange: (checked: boolean) => void;
  testId: string;
};

/** "Remember password", disabled with the reason where the system has no real secret storage. */
export function RememberPasswordField({ secretStorage, checked, onChange, testId }: Props) {
  const id = useId();
  const texts = useTexts();
  const t = texts.password;
  return (
    <div className="check-field">
      <label className="check">
        <input
          data-testid={testId}
          type="checkbox"
          checked={checked && secretStorage.available}
          disabled={!secretStorage.available}
          aria-describedby={secretStorage.available ? undefined : `${id}-reason`}
          onChange={(e) => onChange(e.target.checked)}
        />
        <span>{t.remember}</span>
      </label>
      {!secretStorage.available && (
        <p className="hint" id={`${id}-reason`} data-testid={`${testId}-reason`}>
          {noSecretStorageText(texts, secretStorage)}
        </p>
      )}
    </div>
  );
}
