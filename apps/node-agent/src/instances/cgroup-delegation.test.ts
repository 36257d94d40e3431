import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cgroupDirectories, CgroupDelegationError, delegateCgroups, rootMapping } from './cgroup-delegation.ts';

// The real delegation is exercised by every instance the provisioner tests start and by the
// security suite (test/security); here the parsing and the "directories only" rule.

const ID = 'docker/0123abcd';

test('root mapping is read from uid_map: the host id that uid 0 maps to', () => {
  assert.equal(rootMapping('         0     100000      65536\n'), 100000);
  assert.equal(rootMapping('         0          0 4294967295\n'), 0);
  assert.equal(rootMapping('      1000       1000          1\n'), undefined);
});

test('cgroup directories of a hybrid host: one per mounted v1 hierarchy plus unified, never a root cgroup', () => {
  const procCgroup = [`9:name=systemd:/${ID}`, `8:pids:/${ID}`, `4:memory:/${ID}`, `1:cpu,cpuacct:/${ID}`, `3:net_cls:/`, `0::/${ID}`].join('\n');
  const dirs = cgroupDirectories(procCgroup, '/sys/fs/cgroup', new Set(['systemd', 'pids', 'memory', 'cpu,cpuacct', 'net_cls', 'unified']));
  assert.deepEqual(dirs, [
    `/sys/fs/cgroup/systemd/${ID}`,
    `/sys/fs/cgroup/pids/${ID}`,
    `/sys/fs/cgroup/memory/${ID}`,
    `/sys/fs/cgroup/cpu,cpuacct/${ID}`,
    `/sys/fs/cgroup/unified/${ID}`,
  ]);
});

test('a pure cgroup v2 host has one directory at the mount root', () => {
  assert.deepEqual(cgroupDirectories(`0::/${ID}\n`, '/sys/fs/cgroup', new Set(['cgroup.procs'])), [`/sys/fs/cgroup/${ID}`]);
});

test('delegation changes the owner of the directories, never of the limit files in them', async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test chowns files: run it as root, as npm test does');
  const root = await mkdtemp(path.join(tmpdir(), 'cgdeleg-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const proc = path.join(root, 'proc');
  const cg = path.join(root, 'cgroup');
  await mkdir(path.join(proc, '42'), { recursive: true });
  await writeFile(path.join(proc, '42', 'uid_map'), '0 100000 65536\n');
  await writeFile(path.join(proc, '42', 'gid_map'), '0 100000 65536\n');
  await writeFile(path.join(proc, '42', 'cgroup'), `8:pids:/${ID}\n4:memory:/${ID}\n`);
  for (const c of ['pids', 'memory']) {
    await mkdir(path.join(cg, c, ID), { recursive: true });
    await writeFile(path.join(cg, c, ID, `${c}.max`), 'limit');
  }
  const result = await delegateCgroups(42, { proc, cgroupRoot: cg });
  assert.equal(result.uid, 100000);
  for (const c of ['pids', 'memory']) {
    assert.equal((await stat(path.join(cg, c, ID))).uid, 100000, `${c} directory handed over`);
    assert.equal((await stat(path.join(cg, c, ID, `${c}.max`))).uid, 0, `${c} limit file stays host root's`);
  }
  await assert.rejects(delegateCgroups(43, { proc, cgroupRoot: cg }), CgroupDelegationError);
});
