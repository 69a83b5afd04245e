import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A throwaway CA and a server certificate for `names`, made with the host's openssl in `dir`
 * (ca.crt, server.key, server.crt): for a mock that answers under real host names on a test
 * network, trusted in the sandbox through `--ca-cert dir/ca.crt`. Removed with `dir`.
 */
export function createTestCertificates(dir: string, names: readonly string[]): { caFile: string; tlsDir: string } {
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const config = [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    'CN = codex-sandbox e2e mock',
    '[ext]',
    'basicConstraints = CA:FALSE',
    'keyUsage = digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${names.map((name) => `DNS:${name}`).join(',')}`,
  ];
  writeFileSync(file('san.cnf'), `${config.join('\n')}\n`);
  const caExtensions = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  const newKey = (key: string) => ['-newkey', 'rsa:2048', '-nodes', '-keyout', file(key)];
  openssl([
    'req',
    '-x509',
    ...newKey('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=codex-sandbox e2e CA',
    ...caExtensions,
  ]);
  openssl(['req', ...newKey('server.key'), '-out', file('server.csr'), '-config', file('san.cnf')]);
  const signing = ['-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2'];
  openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    ...signing,
    '-out',
    file('server.crt'),
    '-extfile',
    file('san.cnf'),
    '-extensions',
    'ext',
  ]);
  return { caFile: file('ca.crt'), tlsDir: dir };
}
