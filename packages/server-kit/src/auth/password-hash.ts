import { randomBytes } from 'node:crypto';
import {
  Algorithm,
  hash as argon2Hash,
  hashSync as argon2HashSync,
  verify as argon2Verify,
} from '@node-rs/argon2';
import {
  hash as bcryptHash,
  hashSync as bcryptHashSync,
  verify as bcryptVerify,
} from '@node-rs/bcrypt';

// The password-hash adapter: the one home of @node-rs/bcrypt and @node-rs/argon2 (Rust, npm-hosted
// prebuilt binaries; both verify on libuv's thread pool, so a flood of wrong passwords does not
// stall the event loop, and both compare digests in constant time).

export type HashKind = 'bcrypt' | 'argon2';

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2 =
  /^\$(argon2id|argon2i|argon2d)\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** The default bcrypt cost of new hashes: ~50–100 ms on a server core in 2025. */
export const DEFAULT_BCRYPT_COST = 10;

export function hashKind(hash: string): HashKind | undefined {
  if (BCRYPT.test(hash)) return 'bcrypt';
  if (ARGON2.test(hash)) return 'argon2';
  return undefined;
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return hashKind(hash) === 'argon2' ? argon2Verify(hash, password) : bcryptVerify(password, hash);
}

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  argon2id: Algorithm.Argon2id,
  argon2i: Algorithm.Argon2i,
  argon2d: Algorithm.Argon2d,
};

/**
 * A hash of a random password with the same parameters as `like`: what an unknown user's
 * password is checked against, so that an unknown name costs as long as a wrong password.
 */
export function dummyHashLike(like: string | undefined): string {
  const secret = randomBytes(16).toString('hex');
  const a = like === undefined ? null : ARGON2.exec(like);
  if (a !== null) {
    return argon2HashSync(secret, {
      algorithm: ALGORITHMS[a[1]!]!,
      memoryCost: Number(a[2]),
      timeCost: Number(a[3]),
      parallelism: Number(a[4]),
    });
  }
  const b = like === undefined ? null : BCRYPT.exec(like);
  return bcryptHashSync(secret, b === null ? DEFAULT_BCRYPT_COST : Number(b[1]));
}

/** A new hash for a credentials file line (scripts/hash-password.mjs does the same). */
export function hashPassword(
  password: string,
  kind: HashKind = 'bcrypt',
  cost = DEFAULT_BCRYPT_COST,
): Promise<string> {
  return kind === 'argon2'
    ? argon2Hash(password, { algorithm: Algorithm.Argon2id })
    : bcryptHash(password, cost);
}
