// The npm registry reachable here lacks the non-Linux builds of some optional native
// packages (e.g. @unrs/resolver-binding-darwin-x64, pulled in by jest 30), so `npm install`
// cannot record them and `npm ci` then calls the lockfile out of sync. This adds the
// missing optional entries (with their os/cpu, so npm never tries to fetch them here).
// Run after `npm install`: node .ci/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const OS = ['android', 'darwin', 'freebsd', 'linux', 'openharmony', 'win32'];
const CPU = {
  'arm-eabi': 'arm',
  'arm-gnueabihf': 'arm',
  'arm-musleabihf': 'arm',
  arm64: 'arm64',
  x64: 'x64',
  ia32: 'ia32',
  loong64: 'loong64',
  ppc64: 'ppc64',
  riscv64: 'riscv64',
  s390x: 's390x',
};

let added = 0;
for (const [location, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] !== undefined || lock.packages[`${location}/${key}`] !== undefined) continue;
    const suffix = name.split('/').pop() ?? '';
    const os = OS.find((candidate) => suffix.includes(`-${candidate}-`));
    const cpuKey = Object.keys(CPU).find((candidate) => suffix.includes(`-${candidate}`));
    if (os === undefined || cpuKey === undefined) continue;
    lock.packages[key] = { version, cpu: [CPU[cpuKey]], dev: entry.dev, optional: true, os: [os] };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional lockfile entries`);
