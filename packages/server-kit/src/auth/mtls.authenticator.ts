import type { IncomingMessage } from 'node:http';
import { type PeerCertificate, TLSSocket } from 'node:tls';
import type { MtlsAuthConfig, MtlsPrincipalField } from '../config/auth.config';
import { type Authenticator, type AuthOutcome, refused } from './authenticator';
import type { Principal } from './principal';

const SAN_PREFIX: Readonly<Record<Exclude<MtlsPrincipalField, 'cn'>, string>> = {
  'san-dns': 'DNS:',
  'san-email': 'email:',
  'san-uri': 'URI:',
};

/** The principal name a certificate gives: its subject CN or its first SAN of the chosen type. */
export function certificateName(
  cert: PeerCertificate,
  field: MtlsPrincipalField,
): string | undefined {
  if (field === 'cn') {
    const cn = (cert.subject as Record<string, unknown> | undefined)?.['CN'];
    const first: unknown = Array.isArray(cn) ? cn[0] : cn;
    return typeof first === 'string' && first !== '' ? first : undefined;
  }
  const prefix = SAN_PREFIX[field];
  for (const entry of (cert.subjectaltname ?? '').split(/,\s*/)) {
    if (entry.startsWith(prefix) && entry.length > prefix.length) return entry.slice(prefix.length);
  }
  return undefined;
}

/**
 * A client certificate on the HTTPS listener, verified by the TLS layer against
 * HTTP_TLS_CLIENT_CA_FILE. With `mtls` as the only method the handshake already refuses clients
 * without a valid certificate; combined with other methods a certificate is optional there, and a
 * presented but unverified one is refused here. One verdict per connection (the certificate
 * cannot change within it).
 */
export class MtlsAuthenticator implements Authenticator {
  readonly method = 'mtls' as const;
  private readonly verdicts = new WeakMap<TLSSocket, AuthOutcome | null>();

  constructor(private readonly config: MtlsAuthConfig) {}

  carries(req: IncomingMessage): boolean {
    return this.verdict(req) !== null;
  }

  authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    return Promise.resolve(this.verdict(req) ?? refused('missing'));
  }

  /** null: no client certificate on this connection. */
  private verdict(req: IncomingMessage): AuthOutcome | null {
    const socket = req.socket;
    if (!(socket instanceof TLSSocket)) return null;
    const known = this.verdicts.get(socket);
    if (known !== undefined) return known;
    const cert = socket.getPeerCertificate();
    let verdict: AuthOutcome | null;
    if (cert === null || Object.keys(cert).length === 0) verdict = null;
    else if (!socket.authorized) verdict = refused('untrusted_certificate');
    else {
      const name = certificateName(cert, this.config.principalField);
      const principal: Principal = Object.freeze({
        name: name ?? '',
        groups: Object.freeze([]),
        mechanism: 'mtls',
      });
      verdict = name === undefined ? refused('no_principal') : { ok: true, principal };
    }
    this.verdicts.set(socket, verdict);
    return verdict;
  }
}
