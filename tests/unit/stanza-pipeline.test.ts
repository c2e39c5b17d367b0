/**
 * The incoming stanza pipeline (electron/core/incoming/pipeline.ts): steps run in the order they were added, a
 * step that does not pass the stanza on ends it there, and the outgoing filters add their parts in order.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { Pipeline, type IncomingStanza } from '../../electron/core/incoming/pipeline.js';
import { delayFilter, outgoingStanza } from '../../electron/core/delivery/outgoing.js';
import { originIdFilter } from '../../electron/core/origin-id/origin-id.js';

describe('Pipeline', () => {
  test('runs its steps in the order added, each after the one before passed the stanza on', () => {
    const seen: string[] = [];
    const pipeline = new Pipeline<IncomingStanza>()
      .use((_ctx, next) => {
        seen.push('first');
        next();
      })
      .use(({ stanza }, next) => {
        seen.push(`second:${stanza.name}`);
        next();
      })
      .use(() => seen.push('third'));
    pipeline.run({ stanza: xml('message') });
    assert.deepEqual(seen, ['first', 'second:message', 'third']);
  });

  test('a step that handles the stanza (no next) keeps it from the steps after it', () => {
    const seen: string[] = [];
    const pipeline = new Pipeline<IncomingStanza>()
      .use(({ stanza }, next) => {
        if (stanza.name === 'presence') seen.push('presence');
        else next();
      })
      .use(() => seen.push('message'));
    pipeline.run({ stanza: xml('presence') });
    pipeline.run({ stanza: xml('message') });
    assert.deepEqual(seen, ['presence', 'message']);
  });
});

describe('outgoingStanza', () => {
  const filters = [originIdFilter, delayFilter(() => 'alice@example.com')];

  test("the user's message gets its id as origin-id, then its time of writing, and asks for a receipt", () => {
    const stanza = outgoingStanza({ to: 'bob@example.com', body: 'hi', messageId: 'm1' }, 1_700_000_000_000, filters);
    assert.equal(stanza.attrs.id, 'm1');
    const names = stanza.getChildElements().map((c) => c.name);
    assert.ok(names.includes('request'), names.join());
    assert.ok(names.indexOf('origin-id') < names.indexOf('delay'), names.join());
    assert.equal(stanza.getChild('origin-id')?.attrs.id, 'm1');
  });

  test("a scheme's own stanza (no message id) passes no filter and asks for nothing", () => {
    const stanza = outgoingStanza({ to: 'bob@example.com/pc', body: '?OTRv3?' }, undefined, filters);
    const names = stanza.getChildElements().map((c) => c.name);
    assert.deepEqual(
      names.filter((n) => n === 'origin-id' || n === 'delay' || n === 'request'),
      [],
    );
  });
});
