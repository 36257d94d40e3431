import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionEndedMessage } from './session-ended.ts';

test('an ended session says why: its time limit, closed by the learner, ended by the operator', () => {
  assert.equal(sessionEndedMessage('expired', 240), 'This session reached its time limit (4 hours) and has ended. Its instances are gone.');
  assert.equal(sessionEndedMessage('expired', 30), 'This session reached its time limit (30 minutes) and has ended. Its instances are gone.');
  assert.equal(sessionEndedMessage('closed', 240), 'This session was closed. Its instances are gone.');
  assert.match(sessionEndedMessage('admin', 240), /ended by the playground operator/);
  assert.equal(sessionEndedMessage(null, 240), 'This session has ended.');
});
