import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newInstanceId, newSessionId } from '@playground/contracts';
import { createDb, type Db } from './db.ts';
import { freeSlots, Placement } from './placement.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';

describe('placement', () => {
  let database: TestDatabase;
  let db: Db;
  const now = new Date();

  before(async () => {
    database = await createTestDatabase('orch-placement');
    db = createDb(database.url);
  });
  after(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  const node = (id: string, capacity: number, fields: Record<string, unknown> = {}) =>
    db.node.create({ data: { id, name: id, capacityInstances: capacity, lastSeenAt: now, ...fields } });

  it('no node → null', async () => {
    assert.equal(await new Placement(db, 15_000).pickNode(now), null);
  });

  it('picks the ready, fresh node with the most free instance slots', async () => {
    await node('small', 4);
    await node('big', 10);
    await node('stale', 50, { lastSeenAt: new Date(now.getTime() - 60_000) });
    await node('down', 50, { status: 'down' });
    await node('drained', 50, { drained: true });
    const session = newSessionId();
    await db.session.create({ data: { id: session, clientKey: 'x', nodeId: 'big', expiresAt: now } });
    // 7 live instances on big leave 3 free, fewer than small's 4.
    await db.instance.createMany({
      data: Array.from({ length: 7 }, (_, i) => ({ id: newInstanceId(), sessionId: session, nodeId: 'big', hostname: `node${i + 1}` })),
    });
    assert.deepEqual(await new Placement(db, 15_000).pickNode(now), { nodeId: 'small', freeInstances: 4 });
  });

  it('deleted instances free their slot; full nodes are never picked', async () => {
    await db.instance.updateMany({ where: { nodeId: 'big' }, data: { status: 'deleted' } });
    assert.equal((await new Placement(db, 15_000).pickNode(now))?.nodeId, 'big');
    await db.node.update({ where: { id: 'big' }, data: { capacityInstances: 0 } });
    await db.node.update({ where: { id: 'small' }, data: { capacityInstances: 0 } });
    assert.equal(await new Placement(db, 15_000).pickNode(now), null);
  });

  it('spreads ties: fewer active sessions first, then at random', async () => {
    await node('tie-a', 5);
    await node('tie-b', 5);
    await db.session.create({ data: { id: newSessionId(), clientKey: 'x', nodeId: 'tie-a', expiresAt: now } });
    assert.equal((await new Placement(db, 15_000).pickNode(now))?.nodeId, 'tie-b');
    await db.session.create({ data: { id: newSessionId(), clientKey: 'x', nodeId: 'tie-b', expiresAt: now } });
    const picks = new Set<string>();
    for (const roll of [0.1, 0.9, 0.2, 0.8]) {
      let calls = 0;
      // The first random number goes to the first node listed; alternate to see both win.
      const random = () => (calls++ % 2 === 0 ? roll : 1 - roll);
      picks.add((await new Placement(db, 15_000, random).pickNode(now))!.nodeId);
    }
    assert.deepEqual([...picks].sort(), ['tie-a', 'tie-b']);
  });

  it('counts memory as well as slots: the tighter one wins; a node reporting no memory is limited by slots', async () => {
    const GiB = 2 ** 30;
    assert.equal(freeSlots({ capacityInstances: 10, capacityMemory: BigInt(4 * GiB) }, 1, GiB), 3);
    assert.equal(freeSlots({ capacityInstances: 2, capacityMemory: BigInt(64 * GiB) }, 1, GiB), 1);
    assert.equal(freeSlots({ capacityInstances: 5, capacityMemory: 0n }, 1, GiB), 4);
    assert.equal(freeSlots({ capacityInstances: 5, capacityMemory: BigInt(8 * GiB) }, 1, 0), 4);
    await node('mem-lean', 20, { capacityMemory: BigInt(2 * GiB) });
    await node('mem-rich', 6, { capacityMemory: BigInt(64 * GiB) });
    await db.node.updateMany({ where: { id: { notIn: ['mem-lean', 'mem-rich'] } }, data: { drained: true } });
    // By slots alone mem-lean (20) wins; by memory it fits 2 instances of 1 GiB, mem-rich 6.
    assert.deepEqual(await new Placement(db, 15_000, Math.random, GiB).pickNode(now), { nodeId: 'mem-rich', freeInstances: 6 });
    assert.equal((await new Placement(db, 15_000).pickNode(now))?.nodeId, 'mem-lean');
  });
});
