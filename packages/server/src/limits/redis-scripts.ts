/**
 * The Redis store's Lua scripts. Each count is one script run: atomic (no other client's count
 * lands between the increment and the expiry) and one round trip. The window's time left comes
 * from Redis's own clock (`PTTL`), so instances whose clocks differ agree on when it ends.
 *
 * @module
 */

/**
 * Lua shared by the counting scripts: counts one event in the counter KEYS[1], whose window is
 * ARGV[1] ms; leaves `count` and `ttl` (ms left). A new counter (or one that lost its expiry)
 * opens a window.
 */
const COUNT_IN_WINDOW = `local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end`;

/** Lua: Redis's own clock in ms, as `now` (block ends are kept in Redis time). */
const REDIS_NOW_MS = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/**
 * Counts one event. KEYS[1] the counter; ARGV[1] the window length in ms.
 * Returns `{count, ms left}`. A new counter (or one that lost its expiry) opens a window.
 */
export const HIT = `
${COUNT_IN_WINDOW}
return {count, ttl}
`;

/**
 * Counts one token request of an application, unless the client's IP is blocked: then it counts
 * nothing and answers the block. KEYS[1] the counter, KEYS[2] the blocked set; ARGV[1] the window
 * length in ms, ARGV[2] the IP. Returns `{count, ms left}`, or `{-1, ms the block has left}`.
 * A block decided by another instance reaches this one by pub/sub, which this instance may read
 * only after a request from that IP that arrived at the same moment: the set in Redis is the
 * truth, and reading it here costs no extra round trip.
 */
export const HIT_UNLESS_BLOCKED = `
local blockedUntil = redis.call('ZSCORE', KEYS[2], ARGV[2])
if blockedUntil then
${REDIS_NOW_MS}
  local left = tonumber(blockedUntil) - now
  if left > 0 then return {-1, left} end
end
${COUNT_IN_WINDOW}
return {count, ttl}
`;

/**
 * Counts one failed authentication, and blocks the IP when the count reaches the limit.
 * KEYS[1] the IP's counter, KEYS[2] the blocked set (IP → block end, Redis time in ms);
 * ARGV[1] window length in ms, ARGV[2] the limit, ARGV[3] the IP, ARGV[4] the channel.
 * The block is published before the script answers; an instance that has not read the message
 * yet still refuses the IP's token requests, since {@link HIT_UNLESS_BLOCKED} reads the set.
 */
export const HIT_ADDRESS = `
${COUNT_IN_WINDOW}
if count >= tonumber(ARGV[2]) then
${REDIS_NOW_MS}
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], 'GT', now + ttl, ARGV[3])
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
  redis.call('PUBLISH', ARGV[4], ARGV[3] .. ' ' .. ttl)
end
return {count, ttl}
`;

/** A counter's state, counting nothing. KEYS[1] the counter. Returns `{count, ms left}`. */
export const PEEK = `
local count = redis.call('GET', KEYS[1])
if not count then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {0, 0} end
return {tonumber(count), ttl}
`;

/** The blocks in force. KEYS[1] the blocked set. Returns `{ip, ms left, ip, ms left, …}`. */
export const BLOCKS = `
${REDIS_NOW_MS}
local entries = redis.call('ZRANGE', KEYS[1], '(' .. now, '+inf', 'BYSCORE', 'WITHSCORES')
local out = {}
for i = 1, #entries, 2 do
  out[#out + 1] = entries[i]
  out[#out + 1] = tonumber(entries[i + 1]) - now
end
return out
`;
