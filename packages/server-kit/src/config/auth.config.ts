import type { EnvReader } from './env-reader';

/** How a client may prove who it is (`AUTH_METHODS`, tried in the order listed). */
export type AuthMethodName = 'basic' | 'jwt' | 'mtls' | 'none';
export const AUTH_METHOD_NAMES: readonly AuthMethodName[] = ['basic', 'jwt', 'mtls', 'none'];

/**
 * Signature algorithms a JWT may use: asymmetric only. An HMAC algorithm would let anyone who
 * knows the public key (which is public) sign tokens; `none` signs nothing.
 */
export const ASYMMETRIC_JWT_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** Which field of a verified client certificate names the principal. */
export type MtlsPrincipalField = 'cn' | 'san-dns' | 'san-email' | 'san-uri';
export const MTLS_PRINCIPAL_FIELDS: readonly MtlsPrincipalField[] = [
  'cn',
  'san-dns',
  'san-email',
  'san-uri',
];

export interface BasicAuthConfig {
  /** `user:hash[:group1,group2]` lines (bcrypt or argon2 hashes), re-read when it changes. */
  readonly file: string;
  /** A successful verification is remembered this long (hash checks cost ~50–100 ms). */
  readonly cacheTtlMs: number;
  /** Most remembered verifications (least recently used go first). */
  readonly cacheMaxEntries: number;
}

export interface JwtAuthConfig {
  readonly jwksUrl: string;
  /** Trusted instead of the system's CAs for an https JWKS URL. */
  readonly jwksCaFile: string | undefined;
  readonly issuer: string;
  /** The token's `aud` must contain one of these. */
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  /** The claim (dotted path) whose string value is the principal name. */
  readonly principalClaim: string;
  /** The claim (dotted path) holding the groups: an array of strings or a space-separated string. */
  readonly groupsClaim: string;
  readonly clockSkewSeconds: number;
  /** A verified token is remembered this long (never past its `exp`). */
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
}

export interface MtlsAuthConfig {
  readonly principalField: MtlsPrincipalField;
}

export interface AuthConfig {
  /** In order; the first method whose credentials a request carries decides. */
  readonly methods: readonly AuthMethodName[];
  /** The realm named in `WWW-Authenticate`. */
  readonly realm: string;
  /** An Authorization header longer than this is refused without being parsed. */
  readonly maxHeaderBytes: number;
  readonly basic: BasicAuthConfig | undefined;
  readonly jwt: JwtAuthConfig | undefined;
  readonly mtls: MtlsAuthConfig | undefined;
}

/** Big enough for any real JWT with a long groups claim; well below Node's 16 KiB header cap. */
const DEFAULT_MAX_AUTH_HEADER_BYTES = 8192;
/** Long enough to make the hash cost disappear from steady traffic, short enough for revocation. */
const DEFAULT_BASIC_CACHE_TTL_MS = 60_000;
/** One entry per active client is plenty; each is a few hundred bytes. */
const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
/** A bearer token is remembered at most this long, so a key removed from the JWKS stops working. */
const DEFAULT_JWT_CACHE_TTL_MS = 60_000;

function readBasic(r: EnvReader, wanted: boolean): BasicAuthConfig | undefined {
  const file = r.file('AUTH_BASIC_FILE');
  const cacheTtlMs = r.int('AUTH_BASIC_CACHE_TTL_MS', DEFAULT_BASIC_CACHE_TTL_MS, { min: 0 });
  const cacheMaxEntries = r.int('AUTH_BASIC_CACHE_MAX_ENTRIES', DEFAULT_CACHE_MAX_ENTRIES, {
    min: 0,
  });
  if (!wanted) {
    if (file !== undefined) r.problem('AUTH_BASIC_FILE is set but AUTH_METHODS lacks basic');
    return undefined;
  }
  if (file === undefined) {
    r.problem('AUTH_METHODS=basic needs AUTH_BASIC_FILE (user:hash[:groups] lines)');
    return undefined;
  }
  return { file, cacheTtlMs, cacheMaxEntries };
}

function readJwt(r: EnvReader, wanted: boolean): JwtAuthConfig | undefined {
  const jwksUrl = r.url('AUTH_JWT_JWKS_URL');
  const jwksCaFile = r.file('AUTH_JWT_JWKS_CA_FILE');
  const issuer = r.optionalString('AUTH_JWT_ISSUER');
  const audiences = r.list('AUTH_JWT_AUDIENCE', []);
  const algorithms = r.list('AUTH_JWT_ALGORITHMS', ASYMMETRIC_JWT_ALGORITHMS);
  const config = {
    principalClaim: r.string('AUTH_JWT_PRINCIPAL_CLAIM', 'sub'),
    groupsClaim: r.string('AUTH_JWT_GROUPS_CLAIM', 'groups'),
    clockSkewSeconds: r.int('AUTH_JWT_CLOCK_SKEW_SECONDS', 30, { min: 0, max: 600 }),
    cacheTtlMs: r.int('AUTH_JWT_CACHE_TTL_MS', DEFAULT_JWT_CACHE_TTL_MS, { min: 0 }),
    cacheMaxEntries: r.int('AUTH_JWT_CACHE_MAX_ENTRIES', DEFAULT_CACHE_MAX_ENTRIES, { min: 0 }),
  };
  for (const alg of algorithms) {
    if (!ASYMMETRIC_JWT_ALGORITHMS.includes(alg)) {
      r.problem(
        `AUTH_JWT_ALGORITHMS: ${alg} is not allowed (asymmetric only: ${ASYMMETRIC_JWT_ALGORITHMS.join(', ')})`,
      );
    }
  }
  if (!wanted) {
    if (jwksUrl !== undefined) r.problem('AUTH_JWT_JWKS_URL is set but AUTH_METHODS lacks jwt');
    return undefined;
  }
  if (jwksUrl === undefined || issuer === undefined || audiences.length === 0) {
    r.problem('AUTH_METHODS=jwt needs AUTH_JWT_JWKS_URL, AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE');
    return undefined;
  }
  if (jwksCaFile !== undefined && !jwksUrl.startsWith('https:')) {
    r.problem('AUTH_JWT_JWKS_CA_FILE is set but AUTH_JWT_JWKS_URL is not https');
  }
  return { jwksUrl, jwksCaFile, issuer, audiences, algorithms, ...config };
}

/**
 * Client authentication (`AUTH_*`). `clientCaFile`: HTTP_TLS_CLIENT_CA_FILE, which `mtls` needs
 * (the listener verifies client certificates against it).
 */
export function readAuthConfig(r: EnvReader, clientCaFile: string | undefined): AuthConfig {
  const methods = r.list('AUTH_METHODS', ['none']);
  const known: AuthMethodName[] = [];
  for (const m of methods) {
    if (!(AUTH_METHOD_NAMES as readonly string[]).includes(m)) {
      r.problem(`AUTH_METHODS: ${m} is not one of ${AUTH_METHOD_NAMES.join(', ')}`);
    } else if (known.includes(m as AuthMethodName)) {
      r.problem(`AUTH_METHODS lists ${m} twice`);
    } else {
      known.push(m as AuthMethodName);
    }
  }
  const mtlsField = r.oneOf('AUTH_MTLS_PRINCIPAL', MTLS_PRINCIPAL_FIELDS, 'cn');
  const mtls = known.includes('mtls') ? { principalField: mtlsField } : undefined;
  if (mtls !== undefined && clientCaFile === undefined) {
    r.problem('AUTH_METHODS=mtls needs HTTP_TLS_CLIENT_CA_FILE (and the HTTPS listener)');
  }
  const realm = r.string('AUTH_REALM', 'kafka-gateway');
  if (!/^[\x20-\x7e]+$/.test(realm) || /["\\]/.test(realm)) {
    r.problem('AUTH_REALM must be printable ASCII without quotes or backslashes');
  }
  return {
    methods: known.length === 0 ? ['none'] : known,
    realm,
    maxHeaderBytes: r.int('AUTH_MAX_HEADER_BYTES', DEFAULT_MAX_AUTH_HEADER_BYTES, {
      min: 256,
      max: 16_384,
    }),
    basic: readBasic(r, known.includes('basic')),
    jwt: readJwt(r, known.includes('jwt')),
    mtls,
  };
}
