import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JOB, type SessionView } from '@playground/contracts';
import { json, startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';

// GET /metrics as Prometheus scrapes it: admin token only, and figures that follow what
// happened (a session, an instance created through a BullMQ worker, an error answered).

describe('metrics', () => {
  let t: TestOrchestrator;
  let nodeId: string;

  before(async () => {
    t = await startTestOrchestrator('metrics', { INSTANCE_MEMORY_MB: '64' });
    nodeId = await t.addNode(7);
    t.worker(nodeId, async (job) =>
      job.name === JOB.createInstance ? { instanceId: job.data.instanceId, containerId: `c-${job.data.instanceId}`, ip: '10.9.0.2' } : { ok: true },
    );
  });
  after(async () => t?.close());

  const scrape = async () => {
    const response = await t.request('GET', '/metrics', { headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return response.text();
  };
  /** The value of one sample line, e.g. `playground_sessions{status="active"}`. */
  const sample = (text: string, series: string) => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('needs the admin token', async () => {
    assert.equal((await t.request('GET', '/metrics')).status, 401);
    assert.equal((await t.request('GET', '/metrics', { headers: { authorization: 'Bearer wrong' } })).status, 401);
  });

  it('counts sessions, instances by node, create latency, node capacity and errors', async () => {
    const before = await scrape();
    const session = await json<SessionView>(await t.request('POST', '/api/v1/sessions'));
    const created = await t.request('POST', `/api/v1/sessions/${session.id}/instances`);
    assert.equal(created.status, 201);
    await t.request('GET', `/api/v1/sessions/${'z'.repeat(32)}`);

    const after = await scrape();
    assert.equal(sample(after, 'playground_sessions{status="active"}'), 1);
    assert.equal(sample(after, `playground_instances{node="${nodeId}",status="running"}`), 1);
    assert.equal(sample(after, 'playground_instance_create_seconds_count{outcome="completed"}'), 1);
    assert.equal(sample(after, `playground_node_capacity_instances{node="${nodeId}"}`), 7);
    assert.equal(sample(after, `playground_node_up{node="${nodeId}",drained="false"}`), 1);
    const notFound = (text: string) => sample(text, 'playground_http_errors_total{code="not_found"}') ?? 0;
    assert.equal(notFound(after) - notFound(before), 1);
    assert.ok(sample(after, `playground_queue_jobs{node="${nodeId}",state="waiting"}`) !== undefined, 'queue depth is reported per node');
    assert.match(after, /^playground_orchestrator_process_resident_memory_bytes \d+/m);
  });
});
