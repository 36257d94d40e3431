import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECURITY_MODES } from '@playground/contracts';
import { DENIED_SYSCALLS, engineRemapsUsers, instanceSeccompProfile, isolationOptions, needsRemappedEngine, SECURITY_MODE_SUMMARY } from './isolation.ts';

test('userns: capabilities only inside the remapped user namespace, /proc unmasked for the inner runc, our seccomp profile', () => {
  const options = isolationOptions('userns');
  assert.deepEqual(options.CapAdd, ['SYS_ADMIN', 'NET_ADMIN']);
  assert.equal(options.UsernsMode, undefined, 'relies on the engine-wide remap');
  assert.equal(options.Privileged, undefined);
  assert.deepEqual(options.MaskedPaths, []);
  assert.deepEqual(options.ReadonlyPaths, []);
  assert.equal(options.CgroupnsMode, 'private');
  const seccomp = options.SecurityOpt?.find((option: string) => option.startsWith('seccomp='));
  assert.ok(seccomp, 'a seccomp profile is set');
  assert.ok(!options.SecurityOpt?.includes('seccomp=unconfined'));
  assert.equal(needsRemappedEngine('userns'), true);
});

test('the seccomp profile denies the syscalls that reach the host kernel as a whole, and allows what an engine needs', () => {
  const profile = JSON.parse(instanceSeccompProfile()) as { defaultAction: string; syscalls: { names: string[]; action: string }[] };
  const denied = new Set(profile.syscalls.filter((s) => s.action === 'SCMP_ACT_ERRNO').flatMap((s) => s.names));
  for (const name of ['bpf', 'perf_event_open', 'init_module', 'finit_module', 'kexec_load', 'open_by_handle_at', 'io_uring_setup']) {
    assert.ok(denied.has(name), `${name} is denied`);
  }
  for (const needed of ['mount', 'unshare', 'setns', 'keyctl', 'pivot_root', 'clone', 'seccomp']) {
    assert.ok(!denied.has(needed), `${needed} stays allowed (the inner engine needs it)`);
  }
  assert.equal(denied.size, DENIED_SYSCALLS.length);
});

test('the unsafe modes opt out of the remap so that they mean what they say; runtime needs its name', () => {
  assert.equal(isolationOptions('minimal-caps').UsernsMode, 'host');
  assert.ok(isolationOptions('minimal-caps').SecurityOpt?.includes('seccomp=unconfined'));
  assert.equal(isolationOptions('privileged').Privileged, true);
  assert.equal(isolationOptions('privileged').UsernsMode, 'host');
  assert.deepEqual(isolationOptions('runtime', 'sysbox-runc'), { Runtime: 'sysbox-runc' });
  assert.throws(() => isolationOptions('runtime'), /OCI_RUNTIME/);
  for (const mode of SECURITY_MODES) assert.ok(SECURITY_MODE_SUMMARY[mode].length > 20, `${mode} says what it protects against`);
});

test('an engine remaps users when docker info lists the userns security option', () => {
  assert.equal(engineRemapsUsers({ SecurityOptions: ['name=seccomp,profile=default', 'name=userns'] }), true);
  assert.equal(engineRemapsUsers({ SecurityOptions: ['name=seccomp,profile=default'] }), false);
  assert.equal(engineRemapsUsers({}), false);
});
