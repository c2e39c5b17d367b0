// What the user reads when signing in or entering a room fails: what happened, where, and what to do.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import parse from '@xmpp/xml/lib/parse.js';
import { atSignIn, classifyError } from '../../electron/core/xmpp/errors.js';
import { joinRefusal } from '../../electron/core/muc/muc-errors.js';
import { parseGroupchatMessage } from '../../electron/core/muc/muc-stanzas.js';
import { AppError } from '../../shared/contract.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { errorText } from '../../renderer/i18n/errors.js';

const sys = (code: string) => Object.assign(new Error(code), { code });

describe('sign-in errors', () => {
  test('an unknown domain names the domain that was looked up', () => {
    const e = atSignIn(classifyError(sys('ENOTFOUND')), 'nowhere.test', ['nowhere.test:5222']);
    assert.equal(e.appError.code, 'host-not-found');
    assert.match(e.message, /^Could not reach the server: Klatsch looked up “nowhere\.test” \(tried nowhere\.test:5222\)/);
    assert.match(e.message, /after the @/);
    assert.deepEqual(e.appError.where, { domain: 'nowhere.test', tried: ['nowhere.test:5222'] });
    assert.equal(AppError.safeParse(e.appError).success, true, 'it crosses IPC');
    assert.equal(e.transient, true);
  });

  test('a connection that never came up is "could not reach", never "lost"', () => {
    for (const code of ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']) {
      const e = atSignIn(classifyError(sys(code)), 'example.test', ['chat.example.test:5222', 'chat.example.test:5223']);
      assert.equal(e.appError.code, 'server-unreachable', code);
      assert.match(e.message, /Could not reach the server for example\.test \(tried chat\.example\.test:5222, chat\.example\.test:5223\)/);
      assert.doesNotMatch(e.message, /lost/i);
    }
  });

  test('a refused connection says which host:port refused and what to check', () => {
    const e = atSignIn(classifyError(sys('ECONNREFUSED')), 'example.test', ['127.0.0.1:5222']);
    assert.equal(e.appError.code, 'connection-refused');
    assert.match(e.message, /127\.0\.0\.1:5222 refused the connection/);
    assert.match(e.message, /Check the server and port/);
  });

  test('a server that hangs up during the sign-in is told as that, with where', () => {
    const e = atSignIn(classifyError(sys('ECONNRESET')), 'example.test', ['127.0.0.1:5223']);
    assert.equal(e.appError.code, 'connection-lost');
    assert.match(e.message, /closed the connection before the sign-in was complete/);
    assert.doesNotMatch(e.message, /was lost/);
  });

  test('the server refusing the sign-in says what to do next', () => {
    const wrong = classifyError({ name: 'SASLError', condition: 'not-authorized' });
    assert.equal(wrong.appError.code, 'auth-failed');
    assert.match(wrong.message, /refused the sign-in: wrong address or password\. Check your password/);
    assert.match(classifyError({ name: 'SASLError', condition: 'account-disabled' }).message, /disabled\. Ask your administrator/);
    // Errors after the login went through are left as they were (and carry no place).
    const other = atSignIn(classifyError({ name: 'SASLError', condition: 'not-authorized' }), 'example.test', ['x:1']);
    assert.equal(other.appError.where, undefined);
  });

  test('the UI tells it in the user’s language, naming the domain and what was tried', () => {
    const e = atSignIn(classifyError(sys('ETIMEDOUT')), 'example.test', ['chat.example.test:5222']).appError;
    assert.equal(
      errorText(catalogFor('en'), e),
      'Could not reach the server for example.test (tried chat.example.test:5222). Check your network connection; if it works, the server may be down.',
    );
    const german = errorText(catalogFor('de'), e);
    assert.match(german, /^Der Server für example\.test war nicht erreichbar \(versucht: chat\.example\.test:5222\)/);
    assert.doesNotMatch(german, /Could not/, 'no English in the German sentence');
    const notFound = errorText(catalogFor('de'), atSignIn(classifyError(sys('ENOTFOUND')), 'nowhere.test', []).appError);
    assert.match(notFound, /„nowhere\.test“ nachgeschlagen/);
  });
});

describe('room errors from the server', () => {
  const raw = 'Server-to-server connection failed: unable to resolve service';

  test('remote-server-not-found becomes a sentence naming the room’s domain, without the server’s jargon', () => {
    const refusal = joinRefusal({ room: 'team@conference.far.test', nick: 'me', condition: 'remote-server-not-found', text: raw });
    assert.equal(refusal.nickTaken, false);
    assert.match(refusal.problem.text, /^Your server could not find the server of this room \(conference\.far\.test\)\. Check the room's address/);
    assert.doesNotMatch(refusal.problem.text, /Server-to-server|resolve service/);
  });

  test('remote-server-timeout says the room’s server did not answer in time', () => {
    const refusal = joinRefusal({ room: 'team@conference.far.test', nick: 'me', condition: 'remote-server-timeout', text: raw });
    assert.match(refusal.problem.text, /could not reach the server of this room \(conference\.far\.test\) in time/);
    assert.doesNotMatch(refusal.problem.text, /Server-to-server/);
  });

  test('a bounced room message carries its condition, so it can be told the same way', () => {
    const m = parseGroupchatMessage(
      parse(
        `<message from='team@conference.far.test' type='error' id='m1'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>${raw}</text></error></message>`,
      ),
    );
    assert.equal(m?.errorCondition, 'remote-server-not-found');
  });
});
