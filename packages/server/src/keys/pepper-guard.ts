/**
 * Which pepper a database belongs to. The pepper lives outside the database, so nothing but this
 * check stops a command from running with the wrong file (every secret it makes would be
 * useless, every signing key it stores undecryptable) or from making a new pepper for a
 * database whose own was lost (every application would get 401). The database records a
 * fingerprint of its pepper (migration 5); every command compares it before it writes anything.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { createPepper, pepperFingerprint, readPepper } from '../domain/secrets.js';
import { isPostgresUrl, redactDatabaseUrl } from '../storage/database-url.js';
import type { Storage } from '../storage/types.js';
import { loadSigningKey } from './key-material.js';

/** The pepper file is missing or is not the database's: nothing was written. One-line message. */
export class PepperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PepperError';
  }
}

const WHAT_TO_DO = 'point --pepper-file (SMSCX_PEPPER_FILE) at the pepper file this database was set up with';

/**
 * Reads the pepper file `pepperFile` for the open database `storage` (named `database`, its
 * `--db` value, in messages; a PostgreSQL password never shows) and checks that they belong
 * together, before anything is written:
 *
 * - the database records a fingerprint of its pepper: the file must match it;
 * - a database without one (new, or from before migration 5) whose current signing key is
 *   encrypted under the pepper: the file must decrypt it, and its fingerprint is recorded then;
 * - a missing file is created (32 random bytes, mode 0600) only for a new, empty database: no
 *   fingerprint, no application, no signing key, no API key. A missing pepper is never
 *   regenerated for a database that holds anything made with it.
 *
 * @returns the pepper
 * @throws PepperError naming the file (never its content) and what to do, when the file is
 *   missing for a database that has data, or is not the database's pepper
 * @throws Error when the file cannot be read or has the wrong size
 */
export async function openPepper(storage: Storage, pepperFile: string, database: string): Promise<Buffer> {
  const where = isPostgresUrl(database) ? redactDatabaseUrl(database) : database;
  const recorded = await storage.getPepperFingerprint();
  let pepper = readPepper(pepperFile);
  if (pepper === undefined) {
    if (recorded !== null || (await holdsPepperedData(storage))) {
      throw new PepperError(
        `missing pepper file ${pepperFile}: the database ${where} holds secrets and keys made with a pepper, and a new one would make them all unusable; restore that file from a backup, or ${WHAT_TO_DO}`,
      );
    }
    pepper = createPepper(pepperFile);
  }
  const fingerprint = pepperFingerprint(pepper);
  if (recorded !== null) {
    if (!sameFingerprint(recorded, fingerprint))
      throw wrongPepper(pepperFile, where, 'the pepper fingerprint it records differs');
    return pepper;
  }
  // No fingerprint yet: a new database, or one from before fingerprints. Its signing keys are
  // encrypted under its pepper: one that decrypts is proof enough.
  const keys = await storage.listSigningKeys();
  const key = keys.find((candidate) => candidate.retiredAt === null) ?? keys[0];
  if (key !== undefined) {
    try {
      loadSigningKey(pepper, key);
    } catch {
      throw wrongPepper(pepperFile, where, `the file cannot decrypt its signing key ${key.kid}`);
    }
  }
  // Another process may record one at the same moment: the first one recorded wins.
  const stored = await storage.recordPepperFingerprint(fingerprint);
  if (!sameFingerprint(stored, fingerprint))
    throw wrongPepper(pepperFile, where, 'the pepper fingerprint it records differs');
  return pepper;
}

/** Whether the database holds anything made with its pepper. */
async function holdsPepperedData(storage: Storage): Promise<boolean> {
  if (await storage.hasApplications()) return true;
  if ((await storage.listSigningKeys()).length > 0) return true;
  return (await storage.listApiKeys()).length > 0;
}

function wrongPepper(pepperFile: string, database: string, evidence: string): PepperError {
  return new PepperError(
    `wrong pepper file ${pepperFile}: it is not the pepper of the database ${database} (${evidence}); ${WHAT_TO_DO}`,
  );
}

function sameFingerprint(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
