import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newInstanceId } from './ids.ts';
import { terminalInstanceOf } from './terminal.ts';

describe('the instance a terminal handshake names for the edge', () => {
  const id = newInstanceId();

  it('is read from a Socket.IO handshake URL', () => {
    assert.equal(terminalInstanceOf(`/socket.io/?EIO=4&transport=websocket&instance=${id}`), id);
    assert.equal(terminalInstanceOf(`/socket.io/?instance=${id}&EIO=4`), id);
  });

  it('is absent when the URL names none, names something else, or is not a terminal handshake', () => {
    for (const url of [
      undefined,
      '/socket.io/?EIO=4&transport=websocket',
      '/socket.io/?instance=not-an-id',
      `/socket.io/?instance=${id.toUpperCase()}`,
      `/api/v1/sessions?instance=${id}`,
      `/sessions/x/ws/?instance=${id}`,
    ]) {
      assert.equal(terminalInstanceOf(url), undefined, String(url));
    }
  });
});
