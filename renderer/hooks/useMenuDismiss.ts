import { useEffect, type RefObject } from 'react';
import { dismissesMenu } from '../menuDismiss';

/** Closes a <details> menu on Escape (focus back on its summary) and on a press outside it. */
export function useMenuDismiss(menu: RefObject<HTMLDetailsElement | null>): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const details = menu.current;
      if (!details?.open || !dismissesMenu({ type: 'keydown', key: e.key }, details)) return;
      // Escape closes the menu only, not also the dialog or filter behind it.
      e.preventDefault();
      e.stopPropagation();
      details.open = false;
      details.querySelector('summary')?.focus();
    };
    const onPointer = (e: PointerEvent) => {
      const details = menu.current;
      if (details?.open && dismissesMenu({ type: 'pointerdown', target: e.target }, details)) details.open = false;
    };
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('pointerdown', onPointer, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('pointerdown', onPointer, true);
    };
  }, [menu]);
}
