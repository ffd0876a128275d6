// A modal on the native <dialog>: showModal() makes the page behind it inert (focus stays inside),
// Escape closes it (the cancel event), and focus goes back to what opened it.
import { useEffect, useId, useRef } from 'react';

export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: React.ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      // Back to what opened it, unless that is gone or disabled by what the dialog did.
      if (opener?.isConnected && !opener.matches(':disabled')) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** A table that scrolls sideways inside its own box on a narrow screen; focusable so keyboards can scroll it. */
export function Scroll({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
