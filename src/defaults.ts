// What a server is unless told otherwise: where it listens, the name it gives itself, and
// where its certificates are cached. Imports nothing of ours, so the command line can
// offer these as defaults without loading what serves.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_HOSTNAME = 'mx.broken-mta.test';
/** The domain `broken-mta dns` serves a DANE scenario as: .test is reserved for testing (RFC 6761). */
export const DEFAULT_DOMAIN = 'example.test';

/**
 * Where certificates are cached: $BROKEN_MTA_CERTS, else $XDG_CACHE_HOME/broken-mta, else
 * ~/.cache/broken-mta. Per user, as mkcert keeps its CAROOT: an installed package may be
 * read-only (and a reinstall would change the test CA every time).
 */
export function defaultCertDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BROKEN_MTA_CERTS) return env.BROKEN_MTA_CERTS;
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const cacheHome = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  return join(cacheHome, 'broken-mta');
}
