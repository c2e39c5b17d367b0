import type { ReactNode } from 'react';
import { ModalDialog } from './ModalDialog';

type Props = {
  testId: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
};

/** A question before a step that lowers trust or cannot be taken back: the answer is a second, deliberate click. */
export function ConfirmDialog({ testId, title, children, confirmLabel, cancelLabel, busy = false, onConfirm, onCancel }: Props) {
  const titleId = `${testId}-title`;
  return (
    <ModalDialog className="confirm-dialog" testId={testId} labelledBy={titleId} onClose={onCancel}>
      <h2 id={titleId}>{title}</h2>
      {children}
      <div className="button-row">
        {/* Cancel comes first and takes the focus: Enter alone does not confirm. */}
        <button type="button" className="button" data-testid="confirm-cancel" autoFocus onClick={onCancel}>
          {cancelLabel}
        </button>
        <button type="button" className="button primary" data-testid="confirm-ok" disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </ModalDialog>
  );
}
