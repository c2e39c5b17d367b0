import { useId } from 'react';
import type { SecretStorageStatus } from '../../shared/contract';

type Props = {
  secretStorage: SecretStorageStatus;
  checked: boolean;
  onChange: (checked: boolean) => void;
  testId: string;
};

/** "Remember password", disabled with the reason where the system has no real secret storage. */
export function RememberPasswordField({ secretStorage, checked, onChange, testId }: Props) {
  const id = useId();
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
        <span>Remember password</span>
      </label>
      {!secretStorage.available && (
        <p className="hint" id={`${id}-reason`} data-testid={`${testId}-reason`}>
          {secretStorage.reason ?? 'This system offers no secure storage for passwords.'} You will be asked for the password
          at every start.
        </p>
      )}
    </div>
  );
}
