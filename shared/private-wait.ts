/**
 * How long a message written in a private conversation waits for one (from its `timestamp`): it goes
 * out by itself in the next private conversation with the contact, or is marked not sent after this.
 * The core keeps to it; the renderer shows it. A plain constant (no zod), so the renderer can import it.
 */
export const PRIVATE_WAIT_MS = 24 * 60 * 60 * 1000;
