// What a learner with a root shell in an instance would try in order to reach the node, or to
// lift the limits the node set. Each probe is a shell script run inside a real instance:
//
//   attempt  exits 0 when the escape or bypass WORKED (a finding)
//   control  the same mechanism aimed at something the instance may legitimately touch; it
//            exits 0 in the safe mode, which shows that the attempt's failure comes from the
//            isolation and not from a broken probe (a typo, a missing tool, a wrong path)
//
// Every attempt is harmless when it succeeds: a kernel setting is written with the value it
// already has, a device is only opened or read one byte of, a limit is written back unchanged.
// So the suite can also run them in the unsafe modes, to report what those modes allow.

export interface EscapeProbe {
  /** What the learner tries, as a reader of the report would say it. */
  name: string;
  attempt: string;
  control: string;
}

/** Facts of the node the probes need (read on the host by the test). */
export interface HostFacts {
  /** major:minor of the block device holding the host's root file system. */
  rootDevice: { major: number; minor: number };
  /** `Name` in the node engine's `docker info`. */
  engineName: string;
  /** The pids limit the probed instance was given. */
  pidsLimit: number;
}

/** Writes each existing file back with its own value: `writeback FILE…` exits 0 if any write worked. */
const WRITEBACK = `writeback() { ok=1; for f in "$@"; do [ -e "$f" ] || continue; v=$(cat "$f" 2>/dev/null) || continue; printf '%s\\n' "$v" 2>/dev/null >"$f" && ok=0; done; return $ok; }`;

/**
 * Runs a raw syscall through python's ctypes; exits 0 when the kernel got past its permission
 * checks (an error other than EPERM, EACCES, or ENOSYS for a feature this kernel lacks).
 */
const syscallReached = (nr: number, args: string) =>
  `python3 -c 'import ctypes,sys; libc=ctypes.CDLL(None,use_errno=True); r=libc.syscall(${nr},${args}); e=ctypes.get_errno(); sys.exit(0 if (r>=0 or e not in (1,13,38)) else 1)'`;

/** Forks N sleeping children with python (no shell fork retries); exits 0 if all N started. */
const spawnAtLeast = (n: number) => `python3 - <<'PY'
import os, signal, sys
children = []
try:
    for _ in range(${n}):
        pid = os.fork()
        if pid == 0:
            signal.pause()
            os._exit(0)
        children.append(pid)
except OSError:
    pass
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
sys.exit(0 if len(children) >= ${n} else 1)
PY`;

/** A fresh mount of TYPE at a scratch directory; exits 0 if it mounted. */
const mountFresh = (type: string, options = '') => `d=$(mktemp -d) && mount -t ${type} ${options} none "$d" && umount "$d"`;

const CGROUP = '/sys/fs/cgroup';

export function escapeProbes(host: HostFacts): EscapeProbe[] {
  const { major, minor } = host.rootDevice;
  return [
    {
      name: 'be root on the host (root inside maps to host uid 0)',
      attempt: `awk '$1 == 0 && $2 == 0 { found = 1 } END { exit !found }' /proc/self/uid_map`,
      control: `[ "$(id -u)" = 0 ]`,
    },
    {
      name: 'write kernel.core_pattern (runs a program as host root on a crash)',
      attempt: `${WRITEBACK}; mount -o remount,rw /proc/sys 2>/dev/null; writeback /proc/sys/kernel/core_pattern`,
      control: `${WRITEBACK}; writeback /proc/sys/net/ipv4/ip_forward`,
    },
    {
      name: 'write other host-wide kernel settings in /proc/sys (kernel.panic, kernel.sysrq, vm.*)',
      attempt: `${WRITEBACK}; mount -o remount,rw /proc/sys 2>/dev/null; writeback /proc/sys/kernel/panic /proc/sys/kernel/sysrq /proc/sys/kernel/modprobe /proc/sys/vm/overcommit_memory`,
      control: `${WRITEBACK}; writeback /proc/sys/net/ipv4/tcp_syncookies /proc/sys/net/core/somaxconn`,
    },
    {
      name: 'write kernel.core_pattern through a freshly mounted procfs',
      attempt: `${WRITEBACK}; d=$(mktemp -d) && mount -t proc proc "$d" && writeback "$d/sys/kernel/core_pattern"`,
      control: `${WRITEBACK}; d=$(mktemp -d) && mount -t proc proc "$d" && writeback "$d/sys/net/ipv4/ip_forward"`,
    },
    {
      name: 'open /proc/sysrq-trigger for writing (reboot or crash the host)',
      attempt: `exec 3>/proc/sysrq-trigger`,
      control: `exec 3>"$(mktemp)"`,
    },
    {
      // In the userns mode /sys is read-only and a fresh sysfs can only be mounted read-only.
      name: 'write host-wide settings in /sys/kernel (memory management, uevent_helper)',
      attempt: `${WRITEBACK}; mount -o remount,rw /sys 2>/dev/null; d=$(mktemp -d); { mount -t sysfs sysfs "$d" || LIBMOUNT_FORCE_MOUNT2=always mount -t sysfs sysfs "$d"; } 2>/dev/null; writeback /sys/kernel/uevent_helper /sys/kernel/mm/ksm/pages_to_scan /sys/kernel/mm/swap/vma_ra_enabled "$d/kernel/uevent_helper" "$d/kernel/mm/ksm/pages_to_scan"`,
      // util-linux ≥ 2.39 mounts through fsmount(), which the kernel refuses here even read-only
      // ("Mount too revealing"); mount(2) is the path that can work, so the control takes it.
      control: `d=$(mktemp -d) && LIBMOUNT_FORCE_MOUNT2=always mount -t sysfs -o ro sysfs "$d" && [ -n "$(cat "$d/kernel/mm/ksm/pages_to_scan")" ]`,
    },
    {
      name: "raise the instance's own pids limit",
      attempt: `${WRITEBACK}; writeback ${CGROUP}/pids/pids.max`,
      control: `${WRITEBACK}; c=${CGROUP}/pids/probe-$$ && mkdir "$c" && echo 10 >"$c/pids.max"; r=$?; rmdir "$c"; exit $r`,
    },
    {
      name: "lift the instance's own memory or CPU limit",
      attempt: `${WRITEBACK}; writeback ${CGROUP}/memory/memory.limit_in_bytes ${CGROUP}/memory/memory.memsw.limit_in_bytes ${CGROUP}/cpu/cpu.cfs_quota_us ${CGROUP}/memory.max ${CGROUP}/cpu.max`,
      control: `c=${CGROUP}/memory/probe-$$ && mkdir "$c" && echo 67108864 >"$c/memory.limit_in_bytes"; r=$?; rmdir "$c"; exit $r`,
    },
    {
      name: "allow a device in the instance's own devices cgroup",
      attempt: `echo 'c 1:3 rwm' >${CGROUP}/devices/devices.allow`,
      control: `c=${CGROUP}/devices/probe-$$ && mkdir "$c"; r=$?; rmdir "$c"; exit $r`,
    },
    {
      name: 'set a cgroup release_agent (runs a program as host root)',
      attempt: `${WRITEBACK}; for f in ${CGROUP}/*/release_agent; do writeback "$f" && exit 0; done; d=$(mktemp -d); mount -t cgroup -o none,name=probe cgroup "$d" 2>/dev/null && writeback "$d/release_agent"`,
      control: mountFresh('tmpfs'),
    },
    {
      name: 'mount debugfs',
      attempt: mountFresh('debugfs'),
      control: mountFresh('tmpfs'),
    },
    {
      name: 'mount tracefs',
      attempt: mountFresh('tracefs'),
      control: mountFresh('tmpfs'),
    },
    {
      name: 'mount securityfs',
      attempt: mountFresh('securityfs'),
      control: mountFresh('tmpfs'),
    },
    {
      name: "read the host's root disk through a device node",
      attempt: `d=$(mktemp -d) && mknod "$d/disk" b ${major} ${minor} && head -c 1 "$d/disk" >/dev/null`,
      control: `head -c 1 /dev/zero >/dev/null`,
    },
    {
      name: "read the host's memory (/dev/mem, /proc/kcore)",
      attempt: `{ d=$(mktemp -d) && mknod "$d/mem" c 1 1 && head -c 1 "$d/mem" >/dev/null; } || head -c 1 /proc/kcore >/dev/null`,
      control: `head -c 1 /proc/self/status >/dev/null`,
    },
    {
      name: "read the host kernel's log (syslog, /dev/kmsg)",
      attempt: `dmesg 2>/dev/null | head -c 1 | grep -q . || { d=$(mktemp -d) && mknod "$d/kmsg" c 1 11 && timeout 1 head -c 1 "$d/kmsg" >/dev/null; }`,
      control: `head -c 1 /proc/version | grep -q .`,
    },
    {
      name: 'load a kernel module (finit_module)',
      attempt: syscallReached(313, '-1, b"", 0'),
      control: `python3 -c 'import ctypes,os,sys; sys.exit(0 if ctypes.CDLL(None).syscall(39) == os.getpid() else 1)'`,
    },
    {
      name: 'load a BPF program into the host kernel',
      attempt: syscallReached(321, '5, None, 0'),
      control: `python3 -c 'import ctypes,os,sys; sys.exit(0 if ctypes.CDLL(None).syscall(39) == os.getpid() else 1)'`,
    },
    {
      name: 'open a perf event on the host kernel',
      attempt: syscallReached(298, 'None, 0, -1, -1, 0'),
      control: `python3 -c 'import ctypes,os,sys; sys.exit(0 if ctypes.CDLL(None).syscall(39) == os.getpid() else 1)'`,
    },
    {
      name: 'load a new kernel (kexec_load)',
      attempt: syscallReached(246, '0, 0, None, 0'),
      control: `python3 -c 'import ctypes,os,sys; sys.exit(0 if ctypes.CDLL(None).syscall(39) == os.getpid() else 1)'`,
    },
    {
      name: "set the host's clock",
      attempt: `date -s "@$(date +%s)" >/dev/null 2>&1`,
      control: `date +%s >/dev/null`,
    },
    {
      name: "reach the node's Docker engine (any socket, or TCP 2375/2376 at the gateway)",
      attempt: `for s in $(find /run /var/run /tmp -type s 2>/dev/null); do [ "$(timeout 3 docker -H "unix://$s" info --format '{{.Name}}' 2>/dev/null)" = '${host.engineName}' ] && exit 0; done; gw=$(ip -4 route show default | awk '{ print $3; exit }'); for p in 2375 2376; do curl -s -m 2 -o /dev/null "http://$gw:$p/version" && exit 0; done; exit 1`,
      control: `[ -n "$(docker info --format '{{.Name}}')" ]`,
    },
    {
      name: 'start more processes than the pids limit allows',
      attempt: spawnAtLeast(host.pidsLimit + 50),
      control: spawnAtLeast(10),
    },
  ];
}
