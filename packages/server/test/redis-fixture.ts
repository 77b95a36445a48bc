// Redis for the tests: the machine's Redis (127.0.0.1:6379, SMSCX_TEST_REDIS_URL overrides it)
// under a key prefix of the test run's own, deleted afterwards; and private redis-server processes
// on free ports for the tests that stop, pause or kill Redis.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from './helpers.js';

/** The machine's Redis. */
export const REDIS_URL = process.env.SMSCX_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Key prefixes unique to this test run on the machine's Redis, and their clean-up. */
export class RedisTestPrefixes {
  // Random per run: runs on the same Redis (developers, CI) never meet.
  readonly base = `smscx-test-${randomBytes(5).toString('hex')}:`;
  private count = 0;

  /** A new prefix (no key has it yet). */
  fresh(): string {
    this.count += 1;
    return `${this.base}${this.count}:`;
  }

  /** Fails with a clear message when the machine's Redis is unreachable. */
  async check(): Promise<void> {
    const client = new Redis(REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      throw new Error(
        `Redis is required by these tests and is not reachable at ${REDIS_URL} ` +
          `(start it, or set SMSCX_TEST_REDIS_URL): ${(error as Error).message}`,
      );
    } finally {
      client.disconnect();
    }
  }

  /** Deletes every key of this run. */
  async dropAll(): Promise<void> {
    const client = new Redis(REDIS_URL);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${this.base}*`, 'COUNT', 1000);
        if (keys.length > 0) await client.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      client.disconnect();
    }
  }
}

/** A redis-server of the test's own, on a free port, that the test can kill, pause and restart. */
export class PrivateRedis {
  readonly port: number;
  private process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts one; resolves once it answers. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port (after {@link kill}); resolves once it answers. */
  async restart(): Promise<void> {
    assert.equal(this.process, undefined, 'the private Redis is already running');
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${output}`)));
      child.once('error', reject);
    });
  }

  /** SIGKILL: connections drop at once, nothing is kept. */
  async kill(): Promise<void> {
    const child = this.process;
    if (child === undefined) return;
    this.process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: connections stay open and nothing answers (a slow or hung Redis). */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async close(): Promise<void> {
    this.resume();
    await this.kill();
  }
}
