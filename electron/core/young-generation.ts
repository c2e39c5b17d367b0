/**
 * Keeps V8's young generation at its starting size in the process that runs the core.
 *
 * Why: a burst that keeps many new objects alive for a while (the sign-in of a 5,000-contact
 * roster: the parsed roster and its contacts survive the first scavenges) makes V8 double the
 * young generation again and again up to its maximum (2 × 16 MB in the development host during
 * `npm run bench:roster`, 128 MB in tests/unit/young-generation.test.ts), and the pages it
 * touched stay resident after it shrinks back: the bench measured the host at 130–146 MB RSS
 * after the run, ~30 MB of it such pages; with the young generation kept small, 118–119 MB. A messenger's main process does not need the throughput a large young
 * generation buys (fewer scavenges); each scavenge of a small one is shorter, so the event
 * loop's longest stalls at sign-in did not grow (README, Performance).
 *
 * The flag is read whenever V8 decides to grow the young generation, so setting it after
 * start takes effect (`--max-semi-space-size` is only read when the heap is set up, which is
 * before our code runs in Electron's main process). Call once, first thing in an entry point.
 * Measured in Node 24 (the development host, tests/unit/young-generation.test.ts); the app's main
 * process on Electron's own V8 was not (no Electron binary where this was written).
 */
import v8 from 'node:v8';

export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
