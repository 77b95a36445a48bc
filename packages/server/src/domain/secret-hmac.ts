/**
 * HMAC-SHA-256 keyed with the pepper (RFC 2104, FIPS 180-4), for checking the secret of every
 * token request: the same value `createHmac('sha256', pepper).update(secret).digest()` gives,
 * computed in JavaScript from the states of the two padded key blocks, prepared once.
 *
 * Kept on purpose: each `createHmac` builds a native HMAC context and a stream object around
 * it, which costs several times more than the hashing itself, while a 43-character secret is two
 * SHA-256 blocks once the key blocks are absorbed. The bench's token endpoint scenario (ours /
 * ceiling, server CPU per token) measures it; the before/after figures are in
 * bench/results/README.md. Stored hashes are still made by `node:crypto` (`hashSecret`), and
 * the tests check that both agree on thousands of secrets of every length.
 *
 * The arithmetic has no branch or table index that depends on the secret or the pepper; the
 * work depends only on the secret's length, as with any hash. Results are compared with
 * `timingSafeEqual` (see `verifySecret`).
 */
export class PepperedHmac {
  readonly #innerStart: Int32Array;
  readonly #outerStart: Int32Array;
  readonly #state = new Int32Array(8);
  // The digest's 32 bytes, also seen as eight 32-bit words (platform byte order) for comparisons.
  readonly #digestWords = new Uint32Array(DIGEST_BYTES / 4);
  readonly #digest = Buffer.from(this.#digestWords.buffer);
  readonly #outerBlock = new Uint8Array(BLOCK_BYTES);
  #message = Buffer.alloc(4 * BLOCK_BYTES);

  /** @param pepper the HMAC key; at most 64 bytes (peppers are 32). */
  constructor(pepper: Uint8Array) {
    if (pepper.length > BLOCK_BYTES) throw new Error(`a pepper has at most ${BLOCK_BYTES} bytes`);
    this.#innerStart = keyBlockState(pepper, 0x36);
    this.#outerStart = keyBlockState(pepper, 0x5c);
    // The outer message is always the 32-byte inner digest: its padding never changes.
    this.#outerBlock[DIGEST_BYTES] = 0x80;
    writeBitLength(this.#outerBlock, BLOCK_BYTES, BLOCK_BYTES + DIGEST_BYTES);
  }

  /**
   * HMAC-SHA-256 of the UTF-8 bytes of `secret`, in a buffer this object reuses: compare it
   * right away, before the next call.
   */
  digest(secret: string): Buffer {
    // Room for the UTF-8 bytes (at most 3 per UTF-16 unit), the 0x80 byte and the length.
    const room = secret.length * 3 + 9 + BLOCK_BYTES;
    if (this.#message.length < room) this.#message = Buffer.alloc(room * 2);
    const message = this.#message;
    const length = message.write(secret, 0, 'utf8');
    const end = Math.ceil((length + 9) / BLOCK_BYTES) * BLOCK_BYTES;
    message[length] = 0x80;
    message.fill(0, length + 1, end);
    writeBitLength(message, end, BLOCK_BYTES + length);

    const state = this.#state;
    state.set(this.#innerStart);
    for (let block = 0; block < end; block += BLOCK_BYTES) compress(state, message, block);
    writeState(state, this.#outerBlock);
    state.set(this.#outerStart);
    compress(state, this.#outerBlock, 0);
    writeState(state, this.#digest);
    return this.#digest;
  }

  /**
   * {@link digest}'s 32 bytes as eight 32-bit words in the platform's byte order (as a
   * `Uint32Array` over stored bytes reads them), in an array this object reuses: compare it right
   * away, before the next call.
   */
  digestWords(secret: string): Uint32Array {
    this.digest(secret);
    return this.#digestWords;
  }
}

const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;

/** The SHA-256 state after the key block (key XOR pad, zero-filled): the HMAC inner or outer start. */
function keyBlockState(key: Uint8Array, pad: number): Int32Array {
  const block = new Uint8Array(BLOCK_BYTES).fill(pad);
  for (let i = 0; i < key.length; i++) block[i] = block[i]! ^ key[i]!;
  const state = Int32Array.from(INITIAL_STATE);
  compress(state, block, 0);
  return state;
}

/** Ends the padding of a message of `bytes` bytes whose last block ends at `end`: its length in bits, big-endian. */
function writeBitLength(target: Uint8Array, end: number, bytes: number): void {
  const bits = bytes * 8; // below 2^32: secrets come from a header of at most 1 KiB
  target[end - 4] = bits >>> 24;
  target[end - 3] = bits >>> 16;
  target[end - 2] = bits >>> 8;
  target[end - 1] = bits;
}

/** Writes the eight state words big-endian into the first 32 bytes of `target`. */
function writeState(state: Int32Array, target: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    const word = state[i]!;
    target[i * 4] = word >>> 24;
    target[i * 4 + 1] = word >>> 16;
    target[i * 4 + 2] = word >>> 8;
    target[i * 4 + 3] = word;
  }
}

const schedule = new Int32Array(64);

/** The SHA-256 compression function: absorbs the 64-byte block at `offset` of `bytes` into `state`. */
function compress(state: Int32Array, bytes: Uint8Array, offset: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const at = offset + i * 4;
    w[i] = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + ROUND_CONSTANTS[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

// FIPS 180-4 §5.3.3 and §4.2.2, laid out as there.
const INITIAL_STATE = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
// biome-ignore format: eight words per line, as in FIPS 180-4
const ROUND_CONSTANTS = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
