/**
 * When an open pop-up menu closes by itself: on Escape and on a press outside it, as Signal Desktop,
 * Element and Gajim do. Pure (no DOM), so the rule is tested in plain Node; the hook wires it to the document.
 */

/** What the rule needs of the menu: whether a node lies inside it. */
export type MenuArea = { contains(node: unknown): boolean };

/** A keydown or pointerdown on the document, while the menu is open. */
export type DocumentEvent = { type: 'keydown'; key: string } | { type: 'pointerdown'; target: unknown };

export function dismissesMenu(event: DocumentEvent, menu: MenuArea): boolean {
  if (event.type === 'keydown') return event.key === 'Escape';
  return !menu.contains(event.target);
}
