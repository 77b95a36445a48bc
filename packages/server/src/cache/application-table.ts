import { randomFillSync } from 'node:crypto';
import { isApplicationId, isSecretId, SECRET_ID_BYTES } from '../domain/ids.js';

/**
 * The fields of every application the token endpoint reads per request, packed in one growable
 * `ArrayBuffer` (one 128-byte row per application) and found by ID through an open-addressing
 * index of row numbers ("slots").
 *
 * Why not a `Map` of record objects: with 100,000 applications, a token request that reads a
 * map entry, its key string, a record and a `Buffer` of the secret hash touches five objects
 * scattered over a large heap, and each is likely a cache and TLB miss. Here a request reads one
 * index entry and one row, and loading 100,000 applications makes no per-application objects for
 * the garbage collector to walk. Kept on purpose: the bench's scale scenario (req/s and startup
 * with 10 to 100,000 applications) measures it.
 *
 * Row layout (bytes): 0–19 the ID (its 40 hex characters decoded); 20 status (0 = free row,
 * 1 = active, 2 = disabled); 21 token expiration code; 22 which secrets were used since they
 * were last taken (bit 1 the current, bit 2 the previous; see {@link noteSecretUse}); 24–27
 * scope-set number; 28–31 serial; 32–63 the current secret's hash; 64–95 the previous secret's
 * hash (zeros when none); 96–103 the end of the previous secret's grace period (float64 epoch
 * ms; 0 when none); 104–109 and 110–115 the two secrets' IDs (the 6 random bytes of `sc_…`;
 * zeros when none). A request reads one row (two cache lines, next to each other) whichever
 * secret it presents, and both hashes are always compared (`domain/secrets.ts` matchSecret).
 * `tokensNotBefore` is in a column of its own: the token endpoint never reads it.
 */
export class ApplicationTable {
  #rows = new Uint8Array(ROW_BYTES * 16);
  #words = new Uint32Array(this.#rows.buffer);
  #floats = new Float64Array(this.#rows.buffer);
  #notBefore = new Float64Array(16);
  // slot + 1 per position; EMPTY ends a probe, REMOVED is skipped (rebuilt away when it grows).
  #index = new Int32Array(64);
  #indexUsed = 0;
  #count = 0;
  #highWater = 0;
  readonly #freeSlots: number[] = [];
  // Slots whose used-secret bits went from none to some since the last takeUsedSlots().
  #usedSlots: number[] = [];
  #nextSerial = 1;
  // The ID being looked up, decoded; its words are compared with a row's first five words.
  readonly #probeWords = new Uint32Array(ID_WORDS);
  readonly #probe = Buffer.from(this.#probeWords.buffer);

  /** Number of applications in the table. */
  get size(): number {
    return this.#count;
  }

  /** The slot of application `id`, or -1 when unknown (or not shaped like an Application ID). */
  slotOf(id: string): number {
    if (!isApplicationId(id)) return -1;
    this.#probe.write(id, 'hex');
    const mask = this.#index.length - 1;
    for (let at = this.#probeWords[0]! & mask; ; at = (at + 1) & mask) {
      const entry = this.#index[at]!;
      if (entry === EMPTY) return -1;
      if (entry !== REMOVED && this.#holdsProbe(entry - 1)) return entry - 1;
    }
  }

  /**
   * Adds a row for application `id`, which must not be in the table yet (see {@link slotOf}), and
   * returns its slot. The row gets a new serial, so state kept elsewhere by slot can tell the new
   * owner from a removed one; its other fields are for {@link write}.
   *
   * @throws Error when `id` is not an Application ID (40 lowercase hex characters).
   */
  add(id: string): number {
    if (!isApplicationId(id)) throw new Error(`not an Application ID: ${JSON.stringify(id)}`);
    this.#probe.write(id, 'hex');
    if ((this.#indexUsed + 1) * 2 > this.#index.length) this.#rebuildIndex(this.#count + 1);
    const slot = this.#freeSlots.pop() ?? this.#newSlot();
    this.#rows.set(this.#probe, slot * ROW_BYTES);
    this.#rows[slot * ROW_BYTES + STATUS] = ACTIVE;
    this.#words[slot * ROW_WORDS + SERIAL_WORD] = this.#nextSerial;
    this.#nextSerial = this.#nextSerial === 0xffff_ffff ? 1 : this.#nextSerial + 1;
    this.#notBefore[slot] = Number.NaN;
    this.#count += 1;
    this.#insertIntoIndex(slot);
    return slot;
  }

  /** Removes the application in `slot`; the slot is reused by a later {@link add}. */
  remove(slot: number): void {
    const mask = this.#index.length - 1;
    this.#probe.set(this.#rows.subarray(slot * ROW_BYTES, slot * ROW_BYTES + ID_BYTES));
    for (let at = this.#probeWords[0]! & mask; this.#index[at] !== EMPTY; at = (at + 1) & mask) {
      if (this.#index[at] === slot + 1) {
        this.#index[at] = REMOVED;
        break;
      }
    }
    this.#rows.fill(0, slot * ROW_BYTES, (slot + 1) * ROW_BYTES);
    this.#notBefore[slot] = 0;
    this.#freeSlots.push(slot);
    this.#count -= 1;
  }

  /** Removes every application (serials keep counting up). */
  clear(): void {
    this.#rows = new Uint8Array(ROW_BYTES * 16);
    this.#words = new Uint32Array(this.#rows.buffer);
    this.#floats = new Float64Array(this.#rows.buffer);
    this.#notBefore = new Float64Array(16);
    this.#usedSlots = [];
    this.#index = new Int32Array(64);
    this.#indexUsed = 0;
    this.#count = 0;
    this.#highWater = 0;
    this.#freeSlots.length = 0;
  }

  /** The ID in `slot`, as 40 hex characters. */
  id(slot: number): string {
    return Buffer.from(this.#rows.buffer, slot * ROW_BYTES, ID_BYTES).toString('hex');
  }

  /** A view of the 32-byte secret hash in `slot` (valid until the table grows; do not keep it). */
  secretHash(slot: number): Uint8Array {
    const start = slot * ROW_BYTES + HASH_OFFSET;
    return this.#rows.subarray(start, start + HASH_BYTES);
  }

  /**
   * Compares `digest` (a 32-byte HMAC as eight words, `PepperedHmac.digestWords`) with both secret
   * hashes of `slot`, or of a dummy row for -1 (an unknown application), in constant time: every
   * word of both hashes is read and XORed whatever they hold, no branch or index depends on them,
   * and only the two results are tested, at the end. Returns bit 1 when it is the current
   * secret's hash, bit 2 when it is the previous one's (its grace period is not judged here).
   */
  compareSecretHashes(slot: number, digest: Uint32Array): number {
    const words = slot === -1 ? DUMMY_ROW : this.#words;
    const base = slot === -1 ? 0 : slot * ROW_WORDS;
    let current = 0;
    let previous = 0;
    for (let i = 0; i < HASH_WORDS; i++) {
      const word = digest[i]!;
      current |= words[base + HASH_WORD + i]! ^ word;
      previous |= words[base + PREVIOUS_HASH_WORD + i]! ^ word;
    }
    return (current === 0 ? 1 : 0) | (previous === 0 ? 2 : 0);
  }

  /** When the previous secret's grace period ends (epoch ms); 0 when there is no previous secret. */
  previousSecretExpiresAt(slot: number): number {
    return this.#floats[slot * ROW_FLOATS + PREVIOUS_EXPIRES_FLOAT]!;
  }

  /**
   * The ID of the current (`which` 1) or previous (`which` 2) secret in `slot`, or undefined when
   * there is none.
   */
  secretId(slot: number, which: 1 | 2): string | undefined {
    const start = slot * ROW_BYTES + (which === 1 ? SECRET_ID_OFFSET : PREVIOUS_SECRET_ID_OFFSET);
    const bytes = this.#rows.subarray(start, start + SECRET_ID_BYTES);
    if (bytes.every((byte) => byte === 0)) return undefined;
    return `sc_${Buffer.from(bytes.buffer, bytes.byteOffset, SECRET_ID_BYTES).toString('hex')}`;
  }

  /**
   * Notes that the current (`which` 1) or previous (`which` 2) secret of `slot` authenticated a
   * request: a bit in the row, and the slot on a list the first time. For the token endpoint:
   * a byte read, and a write only for the first use since {@link takeSecretUses}.
   */
  noteSecretUse(slot: number, which: 1 | 2): void {
    const at = slot * ROW_BYTES + USED;
    const used = this.#rows[at]!;
    if ((used & which) !== 0) return;
    this.#rows[at] = used | which;
    if (used === 0) this.#usedSlots.push(slot);
  }

  /** The used-secret bits of `slot` (1 current, 2 previous), cleared. */
  takeSecretUses(slot: number): number {
    const at = slot * ROW_BYTES + USED;
    const used = this.#rows[at]!;
    this.#rows[at] = 0;
    return used;
  }

  /**
   * The slots noted by {@link noteSecretUse} since the last call (a slot may appear twice, or
   * have been cleared since: read each with {@link takeSecretUses}).
   */
  takeUsedSlots(): number[] {
    const slots = this.#usedSlots;
    this.#usedSlots = [];
    return slots;
  }

  /** The application's serial: different for every application a slot has held. */
  serial(slot: number): number {
    return this.#words[slot * ROW_WORDS + SERIAL_WORD]!;
  }

  active(slot: number): boolean {
    return this.#rows[slot * ROW_BYTES + STATUS] === ACTIVE;
  }

  expirationCode(slot: number): number {
    return this.#rows[slot * ROW_BYTES + EXPIRATION]!;
  }

  scopeSet(slot: number): number {
    return this.#words[slot * ROW_WORDS + SCOPE_SET_WORD]!;
  }

  /** Unix epoch ms, or null. */
  tokensNotBefore(slot: number): number | null {
    const value = this.#notBefore[slot]!;
    return Number.isNaN(value) ? null : value;
  }

  /**
   * Writes every field of `slot` but the ID, the serial and the used-secret bits (take those
   * first when the secrets change: see {@link takeSecretUses}).
   */
  write(slot: number, fields: ApplicationRowFields): void {
    const previous = fields.previousSecret;
    if (fields.secretHash.length !== HASH_BYTES || (previous != null && previous.hash.length !== HASH_BYTES))
      throw new Error(`a secret hash has ${HASH_BYTES} bytes`);
    const row = slot * ROW_BYTES;
    this.#rows[row + STATUS] = fields.active ? ACTIVE : DISABLED;
    this.#rows[row + EXPIRATION] = fields.expirationCode;
    this.#words[slot * ROW_WORDS + SCOPE_SET_WORD] = fields.scopeSet;
    this.#rows.set(fields.secretHash, row + HASH_OFFSET);
    this.#writeSecretId(row + SECRET_ID_OFFSET, fields.secretId);
    if (previous == null) {
      this.#rows.fill(0, row + PREVIOUS_HASH_OFFSET, row + PREVIOUS_HASH_OFFSET + HASH_BYTES);
      this.#floats[slot * ROW_FLOATS + PREVIOUS_EXPIRES_FLOAT] = 0;
      this.#writeSecretId(row + PREVIOUS_SECRET_ID_OFFSET, undefined);
    } else {
      this.#rows.set(previous.hash, row + PREVIOUS_HASH_OFFSET);
      this.#floats[slot * ROW_FLOATS + PREVIOUS_EXPIRES_FLOAT] = previous.expiresAt;
      this.#writeSecretId(row + PREVIOUS_SECRET_ID_OFFSET, previous.id);
    }
    this.#notBefore[slot] = fields.tokensNotBefore ?? Number.NaN;
  }

  // A secret ID's 6 random bytes (zeros for none, or for an ID not shaped `sc_` + 12 hex).
  #writeSecretId(at: number, id: string | undefined): void {
    this.#rows.fill(0, at, at + SECRET_ID_BYTES);
    if (id !== undefined && isSecretId(id)) this.#rows.set(Buffer.from(id.slice(3), 'hex'), at);
  }

  #holdsProbe(slot: number): boolean {
    const words = this.#words;
    const probe = this.#probeWords;
    const row = slot * ROW_WORDS;
    return (
      words[row] === probe[0] &&
      words[row + 1] === probe[1] &&
      words[row + 2] === probe[2] &&
      words[row + 3] === probe[3] &&
      words[row + 4] === probe[4]
    );
  }

  #newSlot(): number {
    const slot = this.#highWater++;
    if (slot * ROW_BYTES >= this.#rows.length) {
      const rows = new Uint8Array(this.#rows.length * 2);
      rows.set(this.#rows);
      this.#rows = rows;
      this.#words = new Uint32Array(rows.buffer);
      this.#floats = new Float64Array(rows.buffer);
      const notBefore = new Float64Array(this.#notBefore.length * 2);
      notBefore.set(this.#notBefore);
      this.#notBefore = notBefore;
    }
    return slot;
  }

  // IDs are random, so their first 32 bits are already a uniform hash.
  #insertIntoIndex(slot: number): void {
    const mask = this.#index.length - 1;
    let at = this.#words[slot * ROW_WORDS]! & mask;
    while (this.#index[at] !== EMPTY && this.#index[at] !== REMOVED) at = (at + 1) & mask;
    if (this.#index[at] === EMPTY) this.#indexUsed += 1;
    this.#index[at] = slot + 1;
  }

  // Keeps the index at most half full (counting removed entries), so probes stay short:
  // sized for four times `count`, without the removed entries.
  #rebuildIndex(count: number): void {
    let length = 64;
    while (length < count * 4) length *= 2;
    this.#index = new Int32Array(length);
    this.#indexUsed = 0;
    for (let slot = 0; slot < this.#highWater; slot++) {
      if (this.#rows[slot * ROW_BYTES + STATUS] !== FREE) this.#insertIntoIndex(slot);
    }
  }
}

/** What {@link ApplicationTable.write} stores. */
export interface ApplicationRowFields {
  readonly active: boolean;
  readonly expirationCode: number;
  readonly scopeSet: number;
  readonly secretHash: Uint8Array;
  readonly tokensNotBefore: number | null;
  /** The current secret's ID (`sc_` + 12 hex). Default: none. */
  readonly secretId?: string;
  /** The previous secret (`apps rotate-secret --grace`). Default: none. */
  readonly previousSecret?: {
    readonly id: string;
    readonly hash: Uint8Array;
    /** Epoch ms. */
    readonly expiresAt: number;
  } | null;
}

const ROW_BYTES = 128;
const ROW_WORDS = ROW_BYTES / 4;
const ROW_FLOATS = ROW_BYTES / 8;
const ID_BYTES = 20;
const ID_WORDS = ID_BYTES / 4;
const STATUS = 20;
const EXPIRATION = 21;
const USED = 22;
const SCOPE_SET_WORD = 24 / 4;
const SERIAL_WORD = 28 / 4;
const HASH_OFFSET = 32;
const HASH_BYTES = 32;
const PREVIOUS_HASH_OFFSET = 64;
const HASH_WORD = HASH_OFFSET / 4;
const PREVIOUS_HASH_WORD = PREVIOUS_HASH_OFFSET / 4;
const HASH_WORDS = HASH_BYTES / 4;
const PREVIOUS_EXPIRES_FLOAT = 96 / 8;
const SECRET_ID_OFFSET = 104;
const PREVIOUS_SECRET_ID_OFFSET = 110;

const FREE = 0;
const ACTIVE = 1;
const DISABLED = 2;

const EMPTY = 0;
const REMOVED = -1;

// What an unknown application's secret is compared with: random hashes no digest will equal
// (the same work as a known application's row).
const DUMMY_ROW = randomFillSync(new Uint32Array(ROW_WORDS));
