import { useEffect, useRef, type ReactNode } from 'react';

type Props = {
  className: string;
  testId: string;
  labelledBy: string;
  /** Escape, or the caller's own close button. */
  onClose: () => void;
  children: ReactNode;
};

/** A native modal <dialog>: shown on mount (focus trapped, page behind inert), closed on unmount. */
export function ModalDialog({ className, testId, labelledBy, onClose, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={`dialog ${className}`}
      data-testid={testId}
      aria-labelledby={labelledBy}
      onCancel={(e) => {
        // React closes it by unmounting, so the store and the screen never disagree.
        e.preventDefault();
        onClose();
      }}
    >
      {children}
    </dialog>
  );
}
