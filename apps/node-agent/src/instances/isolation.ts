import type Docker from 'dockerode';
import type { SecurityMode } from '@playground/contracts';

// How an instance is isolated from its node. Each security mode is one pure mapping to the
// container options that carry it, so the modes can be read, unit-tested and reused (the
// benchmark's floor runs its containers with exactly these options).
//
// `userns` (the default) is the mode for the public: the node's Docker engine runs with
// `userns-remap`, so root in an instance is an unprivileged user on the host (uid 100000+).
// The capabilities it is given (SYS_ADMIN, NET_ADMIN) hold only inside the instance's own user
// namespace: enough to mount, to run a bridge and iptables in its own network namespace and
// to run its own containers, never enough to write host-owned kernel settings, cgroup limits
// or devices. Two things make a Docker engine work there:
// - /proc is not masked (`systempaths=unconfined`: no MaskedPaths, no ReadonlyPaths): the kernel lets a user namespace mount a
//   new procfs (the inner runc does, per container) only where no part of /proc is hidden.
//   The files the masks hid are owned by host root, which the instance's root is not.
// - the instance's own cgroup directories are handed to its root (cgroup-delegation.ts), so
//   the inner engine can make child cgroups below the instance's limits, but not the limit
//   files themselves.
// A seccomp profile withholds the syscalls that reach the host kernel as a whole rather than
// the instance (bpf, perf, modules, kexec, io_uring, time, swap, syslog…).

export { SECURITY_MODES, UNSAFE_SECURITY_MODES, type SecurityMode } from '@playground/contracts';

/** One line per mode, said at start-up: what it protects against, and what it does not. */
export const SECURITY_MODE_SUMMARY: Record<SecurityMode, string> = {
  userns:
    'root in an instance is an unprivileged user on the host (user namespace); kernel settings, cgroup limits, devices, bpf, perf and modules are out of its reach',
  'minimal-caps':
    'UNSAFE for untrusted users: root in an instance is root on the host kernel and can escape (core_pattern, cgroup limits); use only for trusted users',
  privileged: 'UNSAFE for untrusted users: instances are privileged containers, root in one is root on the host; use only for trusted users',
  runtime: 'isolation is whatever the configured OCI runtime provides (e.g. sysbox-runc: user namespaces and virtualised /proc, /sys)',
};

/**
 * Syscalls an instance never needs that act on the host kernel as a whole. Everything else is
 * allowed: the inner engine needs mount, unshare, setns, keyctl (runc's session keyring),
 * pivot_root and seccomp itself, all of which the user namespace confines.
 */
export const DENIED_SYSCALLS = [
  'bpf',
  'perf_event_open',
  'init_module',
  'finit_module',
  'delete_module',
  'create_module',
  'query_module',
  'get_kernel_syms',
  'kexec_load',
  'kexec_file_load',
  'open_by_handle_at',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'acct',
  'swapon',
  'swapoff',
  'syslog',
  'iopl',
  'ioperm',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  'lookup_dcookie',
  'uselib',
  'quotactl',
  'nfsservctl',
  'vm86',
  'vm86old',
] as const;

const EPERM = 1;

/** The seccomp profile of a `userns` instance, as the Engine API takes it (JSON text). */
export function instanceSeccompProfile(): string {
  return JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: [...DENIED_SYSCALLS], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }],
  });
}

export type IsolationOptions = Pick<Docker.HostConfig, 'CapAdd' | 'SecurityOpt' | 'Privileged' | 'Runtime' | 'UsernsMode'> & {
  CgroupnsMode?: 'private' | 'host';
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
};

/**
 * The HostConfig fields that make an instance's isolation in `mode`. On an engine with
 * userns-remap, the unsafe modes opt out of the remap (`UsernsMode: host`) so that they keep
 * meaning what they say; `userns` relies on the remap.
 */
export function isolationOptions(mode: SecurityMode, ociRuntime?: string): IsolationOptions {
  switch (mode) {
    case 'userns':
      return {
        CapAdd: ['SYS_ADMIN', 'NET_ADMIN'],
        SecurityOpt: [`seccomp=${instanceSeccompProfile()}`],
        // What the CLI's `--security-opt systempaths=unconfined` sends: nothing masked in /proc.
        MaskedPaths: [],
        ReadonlyPaths: [],
        CgroupnsMode: 'private',
      };
    case 'minimal-caps':
      return {
        CapAdd: ['SYS_ADMIN', 'NET_ADMIN'],
        SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
        CgroupnsMode: 'private',
        UsernsMode: 'host',
      };
    case 'privileged':
      return { Privileged: true, CgroupnsMode: 'private', UsernsMode: 'host' };
    case 'runtime':
      if (!ociRuntime) throw new Error('SECURITY_MODE=runtime needs OCI_RUNTIME');
      return { Runtime: ociRuntime };
  }
}

/** Whether the node's engine must run with userns-remap for `mode`. */
export function needsRemappedEngine(mode: SecurityMode): boolean {
  return mode === 'userns';
}

/** Whether the engine (its `docker info`) runs containers in a remapped user namespace. */
export function engineRemapsUsers(info: { SecurityOptions?: string[] }): boolean {
  return (info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=userns'));
}
