import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceUsage } from '@playground/contracts';
import { createTranslator } from 'next-intl';
import en from '../../messages/en.json' with { type: 'json' };
import ko from '../../messages/ko.json' with { type: 'json' };
import { formatBytes, meterRows, nearLimitWarning } from './usage-meters.ts';

const t = createTranslator({ locale: 'en', messages: en, namespace: 'meters' }) as unknown as Parameters<typeof meterRows>[0];
const tKo = createTranslator({ locale: 'ko', messages: ko, namespace: 'meters' }) as unknown as Parameters<typeof meterRows>[0];

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const usage = (over: Partial<InstanceUsage> = {}): InstanceUsage => ({
  at: '2026-12-04T09:00:00.000Z',
  cpu: { used: 0.25, limit: 1 },
  memory: { used: 100 * MiB, limit: 512 * MiB },
  disk: { used: 700 * MiB, limit: 10 * GiB },
  dockerData: { used: 12 * MiB, limit: 10 * GiB },
  warnAt: 0.85,
  nearLimit: [],
  ...over,
});

test('formatBytes uses binary units with one decimal below 100', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(512 * MiB), '512 MiB');
  assert.equal(formatBytes(10 * GiB), '10 GiB');
  assert.equal(formatBytes(9.14 * GiB), '9.1 GiB');
});

test('one meter per limit; a disk the node cannot measure has none', () => {
  const rows = meterRows(t, usage());
  assert.deepEqual(rows.map((r) => [r.key, r.percent, r.text]), [
    ['cpu', 25, '25% of 1 CPU'],
    ['memory', 20, '100 / 512 MiB'],
    ['disk', 7, '700 MiB / 10 GiB'],
    ['dockerData', 0, '12 MiB / 10 GiB'],
  ]);
  assert.deepEqual(meterRows(t, usage({ disk: null, dockerData: { used: 5, limit: null } })).map((r) => r.key), ['cpu', 'memory']);
});

test('the warning names what is nearly full and suggests docker system prune', () => {
  assert.equal(nearLimitWarning(t, 'node1', usage()), null);
  const disk = nearLimitWarning(t, 'node1', usage({ disk: { used: 9.2 * GiB, limit: 10 * GiB }, nearLimit: ['disk'] }));
  assert.equal(disk, 'node1 is nearly full: disk 92% (9.2 / 10 GiB). Free space with docker system prune (it removes stopped containers, unused networks, dangling images and build cache).');
  const memory = nearLimitWarning(t, 'node2', usage({ memory: { used: 480 * MiB, limit: 512 * MiB }, nearLimit: ['memory'] }));
  assert.match(memory!, /^node2 is nearly full: memory 94% \(480 \/ 512 MiB\)\. Stop containers .*docker system prune/);
});

test('in Korean, the warning still names the figures and docker system prune', () => {
  const disk = nearLimitWarning(tKo, 'node1', usage({ disk: { used: 9.2 * GiB, limit: 10 * GiB }, nearLimit: ['disk'] }));
  assert.equal(disk, 'node1의 공간이 거의 가득 찼습니다: 디스크 92% (9.2 / 10 GiB). docker system prune 으로 공간을 확보하세요 (멈춘 컨테이너, 쓰지 않는 네트워크, 태그 없는 이미지, 빌드 캐시를 지웁니다).');
  assert.deepEqual(meterRows(tKo, usage()).map((r) => r.label), ['CPU', '메모리', '디스크', 'Docker']);
});
