import type { Redis } from 'ioredis';

// Which orchestrator replica sweeps (reaper.ts): a lease in Redis that one replica holds at a
// time, renewed before every task, with a fencing token that grows with each new holder. A
// holder that stalls past the lease (or dies) loses it; its next renewal sees another token
// and it stops sweeping before its next task, so two replicas never run the same task at
// once. The tasks are idempotent sweeps of the record, so a takeover mid-sweep repeats no
// effect. A lock over Redis rather than BullMQ's job schedulers: the sweep is one loop whose
// tasks share a clock, and a lease keeps it one loop.

const TAKE_OR_RENEW = `
local current = redis.call('GET', KEYS[1])
if current == false then
  local token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. '/' .. token, 'PX', ARGV[2])
  return token
end
local holder, token = string.match(current, '^(.*)/(%d+)$')
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(token)
end
return -1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class SweepLease {
  private readonly key: string;
  private readonly tokenKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** This replica, unique among the replicas sharing Redis. */
    private readonly holder: string,
    readonly ttlMs: number,
  ) {
    this.key = `${prefix}:reaper:lease`;
    this.tokenKey = `${prefix}:reaper:fence`;
  }

  /** Takes the lease or renews this replica's: its fencing token, or undefined while another replica holds it. */
  async take(): Promise<number | undefined> {
    const token = Number(await this.redis.eval(TAKE_OR_RENEW, 2, this.key, this.tokenKey, this.holder, String(this.ttlMs)));
    return token > 0 ? token : undefined;
  }

  /** Lets another replica take over at once (a deliberate stop), if this replica holds it as `token`. */
  async release(token: number): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, `${this.holder}/${token}`);
  }
}
