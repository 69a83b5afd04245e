import { randomBytes } from 'node:crypto';
import { docker, dockerLogs, IMAGE } from './run-launcher.js';

/** Every container or network an e2e test starts carries this label (and is removed by it). */
export const TEST_LABEL = 'codex-sandbox.test=1';

export interface TestNetwork {
  name: string;
  allowedIp: string;
  blockedIp: string;
  dnsIp: string;
  gateway: string;
  /** Queries the logging DNS server has seen so far. */
  dnsLog(): string;
  remove(): void;
}

const HTTP_SERVER = "require('http').createServer((q,s)=>s.end('ok '+process.env.NAME+'\\n')).listen(80)";

function ipOf(container: string, network: string): string {
  return docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container]);
}

/**
 * A private docker network with two HTTP test hosts (`allowed.test`, `blocked.test`) and a
 * logging DNS server (the sandbox's upstream via `--dns`) that answers `logged.test` with the
 * allowed host and NXDOMAIN otherwise, and logs every query it sees.
 * Nothing here leaves the machine.
 */
export function createTestNetwork(): TestNetwork {
  const id = randomBytes(3).toString('hex');
  const name = `cs-e2e-${id}`;
  const containers: string[] = [];
  const start = (suffix: string, args: string[]) => {
    const container = `${name}-${suffix}`;
    docker(['run', '-d', '--rm', '--label', TEST_LABEL, '--name', container, '--network', name, ...args]);
    containers.push(container);
    return container;
  };
  docker(['network', 'create', '--label', TEST_LABEL, name]);
  try {
    const allowed = start('allowed', [
      '--network-alias',
      'allowed.test',
      '-e',
      'NAME=allowed',
      '--entrypoint',
      'node',
      IMAGE,
      '-e',
      HTTP_SERVER,
    ]);
    const blocked = start('blocked', [
      '--network-alias',
      'blocked.test',
      '-e',
      'NAME=blocked',
      '--entrypoint',
      'node',
      IMAGE,
      '-e',
      HTTP_SERVER,
    ]);
    const allowedIp = ipOf(allowed, name);
    const blockedIp = ipOf(blocked, name);
    const dns = start('dns', [
      '--entrypoint',
      'dnsmasq',
      IMAGE,
      '-k',
      '--log-queries',
      '--log-facility=-',
      '--no-resolv',
      '--no-hosts',
      '--user=root',
      `--address=/logged.test/${allowedIp}`,
      '--address=/#/',
    ]);
    const dnsIp = ipOf(dns, name);
    const gateway = docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', name]);
    waitForHttp(allowed);
    return {
      name,
      allowedIp,
      blockedIp,
      dnsIp,
      gateway,
      dnsLog: () => dockerLogs(dns),
      remove: () => {
        for (const container of containers) spawnQuiet(['rm', '-f', container]);
        spawnQuiet(['network', 'rm', name]);
      },
    };
  } catch (error) {
    for (const container of containers) spawnQuiet(['rm', '-f', container]);
    spawnQuiet(['network', 'rm', name]);
    throw error;
  }
}

function spawnQuiet(args: string[]): void {
  try {
    docker(args);
  } catch {
    // already gone
  }
}

/** The HTTP test host is up once node listens (polled, no fixed sleep). */
function waitForHttp(container: string): void {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    try {
      docker([
        'exec',
        container,
        'node',
        '-e',
        "require('http').get('http://127.0.0.1/',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))",
      ]);
      return;
    } catch {
      // not listening yet
    }
  }
  throw new Error(`test host ${container} did not start`);
}
