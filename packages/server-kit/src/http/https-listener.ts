import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { HttpTlsConfig } from '../config/common.config';
import { PEM_RECHECK_MS, PemFiles } from '../config/pem-files';

/** Below TLS 1.2 nothing is safe to offer; 1.3 is negotiated whenever the client has it. */
const MIN_TLS_VERSION = 'TLSv1.2';

export function httpsPemFiles(tls: HttpTlsConfig): PemFiles {
  return new PemFiles({
    cert: tls.certFile,
    key: tls.keyFile,
    ...(tls.clientCaFile === undefined ? {} : { ca: tls.clientCaFile }),
  });
}

function secureContext(pem: PemFiles): SecureContextOptions {
  const m = pem.current();
  return {
    cert: m.cert,
    key: m.key,
    minVersion: MIN_TLS_VERSION,
    ...(m.ca === undefined ? {} : { ca: m.ca }),
  };
}

/**
 * Options of the public HTTPS listener. With a client CA every client must present a
 * certificate it issued: one without is refused during the handshake, before any HTTP. With
 * `optionalClientCert` (AUTH_METHODS lists mtls beside other methods) a certificate is asked
 * for but not required, and the mtls authenticator refuses one the CA does not vouch for.
 */
export function httpsServerOptions(
  tls: HttpTlsConfig,
  pem: PemFiles,
  optionalClientCert = false,
): SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean } {
  return {
    ...secureContext(pem),
    ...(tls.clientCaFile === undefined
      ? {}
      : { requestCert: true, rejectUnauthorized: !optionalClientCert }),
  };
}

/**
 * Re-reads the certificate, key and client CA when one of them changes and installs them for
 * new connections (`setSecureContext`); established connections keep theirs. A broken pair (a
 * certificate written before its key) is logged once and the previous context stays in use
 * until the files agree again. Stops when the server closes.
 */
export function reloadCertificates(server: TlsServer, pem: PemFiles, logger: Logger): void {
  let applied = pem.current();
  let failed: unknown;
  let lastError = '';
  const check = (): void => {
    let material;
    try {
      material = pem.current();
      if (material === applied || material === failed) return;
      server.setSecureContext(secureContext(pem));
      applied = material;
      lastError = '';
      logger.info({ files: pem.files }, 'HTTPS certificate reloaded');
    } catch (err) {
      failed = material;
      const reason = err instanceof Error ? err.message : String(err);
      if (reason !== lastError) {
        logger.warn(
          { files: pem.files, err: reason },
          'HTTPS certificate not reloaded: keeping the previous one',
        );
      }
      lastError = reason;
    }
  };
  const timer = setInterval(check, PEM_RECHECK_MS);
  timer.unref();
  server.once('close', () => clearInterval(timer));
  server.on('tlsClientError', (err: Error) => {
    logger.debug({ err: err.message }, 'TLS handshake refused');
  });
}
