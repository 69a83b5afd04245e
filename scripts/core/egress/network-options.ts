import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * `--network NAME` joins an existing docker network (e.g. a compose project's). `host` and
 * `container:…` are refused: the firewall would be applied to (and fail open for) a
 * network namespace that is not the sandbox's own.
 */
export function validateNetworkName(name: string): string {
  if (name === 'host' || name.startsWith('container:')) {
    throw new UsageError(`--network ${name} would share another network namespace and bypass the firewall: use a bridge network name`);
  }
  if (!NETWORK_NAME.test(name) || name.length > 128) {
    throw new UsageError(`--network ${JSON.stringify(name)} is not a docker network name: use e.g. myproject_default`);
  }
  return name;
}

/** `--dns IP`: the upstream resolver the sandbox's own DNS filter forwards allowlisted names to. */
export function validateDnsServer(address: string): string {
  if (isIP(address) === 0) {
    throw new UsageError(`--dns ${JSON.stringify(address)} is not an IP address: use e.g. 10.0.0.2`);
  }
  return address;
}
