#!/usr/bin/env node
// `npm run bench`: measures the launcher against bare docker on this machine and writes
// bench/results/latest.json. Builds nothing: it uses the existing sandbox image.
// All traffic stays on a private, labelled docker network (a DNS server and an HTTP(S)
// file server started here); nothing leaves the machine. The previous results file is read
// first, so every ratio is shown next to the one measured before.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, summarize } from './stats.mjs';
import { IMAGE_CONTRACT } from '../dist/scripts/core/run/container-identity.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/scripts/cli/main.js');
const IMAGE = process.env.CODEX_DOCKER_IMAGE || 'codex-sandbox:latest';
const RUNS = Math.max(10, Number(process.env.BENCH_RUNS) || 10);
const LABEL = 'codex-sandbox.bench=1';
const FILE_MB = 200;
// BENCH_CASES=launch (comma list of ALL_CASES): only those, e.g. to compare a start-up change
// without the downloads; such a partial run writes BENCH_OUT if given, never latest.json.
const ALL_CASES = ['launch', 'cli', 'allowlist', 'refusals', 'throughput', 'ttfb'];
const CASES = new Set((process.env.BENCH_CASES || ALL_CASES.join(',')).split(','));
const PARTIAL = ALL_CASES.some((c) => !CASES.has(c));

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  return result;
}

function docker(args) {
  const result = run('docker', args);
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Wall time of one command in seconds; fails loudly when the command fails. */
function time(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = run(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim().split('\n').pop()}`);
  return seconds;
}

/** Warm-up once each, then RUNS rounds alternating the cases (so drift hits all alike). */
function measure(cases) {
  for (const c of cases) c.fn();
  const samples = cases.map(() => []);
  for (let i = 0; i < RUNS; i += 1) cases.forEach((c, index) => samples[index].push(c.fn()));
  return samples;
}

function checkPrerequisites() {
  const info = run('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (info.error || info.status !== 0) {
    console.error('bench: no Docker engine answers: start it (eval "$(../shared/docker-up)") and run again');
    process.exit(1);
  }
  const image = run('docker', ['image', 'inspect', '--format', '{{index .Config.Labels "codex-sandbox.entrypoint"}}', IMAGE]);
  // The contract this launcher speaks (the bench runs after `npm run build`).
  if (image.status !== 0 || image.stdout.trim() !== String(IMAGE_CONTRACT)) {
    console.error(
      `bench: image ${IMAGE} is missing (or not a sandbox image): run \`npx run-in-container build\` first; the bench builds nothing`,
    );
    process.exit(1);
  }
  if (run('test', ['-f', CLI]).status !== 0) {
    console.error(`bench: ${CLI} missing: run npm run build first`);
    process.exit(1);
  }
  return info.stdout.trim();
}

const HTTP_SERVER = `
const fs = require('fs'); const http = require('http'); const https = require('https');
const serve = (q, s) => {
  if (q.url === '/file') {
    s.writeHead(200, { 'content-length': fs.statSync('/tmp/file').size });
    fs.createReadStream('/tmp/file').pipe(s);
  } else s.end('ok\\n');
};
http.createServer(serve).listen(80);
if (fs.existsSync('/tmp/key.pem'))
  https.createServer({ key: fs.readFileSync('/tmp/key.pem'), cert: fs.readFileSync('/tmp/cert.pem') }, serve).listen(443);`;

/** A self-signed certificate for allowed.test in /tmp (the files host's HTTPS). */
const SELF_SIGN =
  'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=allowed.test' +
  ' -addext subjectAltName=DNS:allowed.test' +
  ' -keyout /tmp/key.pem -out /tmp/cert.pem 2>/dev/null';

/** Private network: DNS (answers *.test names we list, NXDOMAIN otherwise), an allowed and a blocked host. */
function startNetwork(domains) {
  const name = `cs-bench-${randomBytes(3).toString('hex')}`;
  const containers = [];
  const start = (suffix, args) => {
    const container = `${name}-${suffix}`;
    docker(['run', '-d', '--rm', '--label', LABEL, '--name', container, '--network', name, ...args]);
    containers.push(container);
    return container;
  };
  const ipOf = (container) => docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${name}").IPAddress}}`, container]);
  const cleanup = () => {
    if (containers.length > 0) run('docker', ['rm', '-f', ...containers]);
    run('docker', ['network', 'rm', name]);
  };
  docker(['network', 'create', '--label', LABEL, name]);
  try {
    const file = start('files', [
      '--network-alias',
      'allowed.test',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      `head -c ${FILE_MB}M /dev/urandom > /tmp/file && ${SELF_SIGN} && exec node -e "$0"`,
      HTTP_SERVER,
    ]);
    const blocked = start('blocked', ['--entrypoint', 'node', IMAGE, '-e', HTTP_SERVER]);
    const fileIp = ipOf(file);
    const addresses = domains.map((domain) => `--address=/${domain}/${fileIp}`);
    const dns = start('dns', [
      '--entrypoint',
      'dnsmasq',
      IMAGE,
      '-k',
      '--no-resolv',
      '--no-hosts',
      '--user=root',
      `--address=/allowed.test/${fileIp}`,
      ...addresses,
      '--address=/#/',
    ]);
    for (let i = 0; i < 300; i += 1) {
      const probe = run('docker', [
        'exec',
        file,
        'node',
        '-e',
        "require('http').get('http://127.0.0.1/file',r=>{r.resume();process.exit(r.statusCode===200?0:1)}).on('error',()=>process.exit(1))",
      ]);
      if (probe.status === 0) break;
      if (i === 299) throw new Error('bench file server did not start');
    }
    return { name, file, fileIp, blockedIp: ipOf(blocked), dnsIp: ipOf(dns), cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

function machine(dockerVersion) {
  return {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    docker: dockerVersion,
    node: process.version,
    kernel: os.release(),
    image: IMAGE,
  };
}

function main() {
  const dockerVersion = checkPrerequisites();
  const extra500 = Array.from({ length: 500 }, (_, i) => `host${i}.bench.test`);
  const extra5 = extra500.slice(0, 5);
  const net = startNetwork(extra500);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-bench-'));
  const home = path.join(scratch, 'home');
  const work = path.join(scratch, 'work');
  mkdirSync(home);
  mkdirSync(work);
  // A normal user's project (run by root, a root-owned one needs --yes and a chown -R).
  if (process.getuid?.() === 0) chownSync(work, 4242, 4242);
  const interrupt = () => {
    net.cleanup();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const env = (domains) => ({
    PATH: process.env.PATH,
    HOME: home,
    OPENAI_ALLOWED_DOMAINS: domains.join(' '),
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
  });
  // The files host's certificate, trusted by the inspection as a user's private CA would be (R160).
  const caFile = path.join(scratch, 'files-host.crt');
  docker(['cp', `${net.file}:/tmp/cert.pem`, caFile]);
  const sandbox = (domains, command, flags = []) => [
    'shell',
    '--work_dir',
    work,
    '--network',
    net.name,
    '--dns',
    net.dnsIp,
    '--ca-cert',
    caFile,
    ...flags,
    '--',
    ...command,
  ];
  const launcher = (domains, command = ['true']) =>
    time(process.execPath, [CLI, ...sandbox(domains, command)], { cwd: work, env: env(domains) });
  try {
    console.error(`bench: ${RUNS} runs per case after a warm-up, image ${IMAGE}, network ${net.name}`);
    const results = [];

    if (CASES.has('launch')) {
      const [sandboxLaunch, bareLaunch] = measure([
        { fn: () => launcher(['allowed.test']) },
        { fn: () => time('docker', ['run', '--rm', '-i', '--network', net.name, '--entrypoint', 'true', IMAGE]) },
      ]);
      results.push(
        row(
          'launch',
          'run-in-container shell -- true',
          sandboxLaunch,
          'docker run --rm IMAGE true (entrypoint true)',
          bareLaunch,
          'ratio <= 1.6',
          (r) => r <= 1.6,
        ),
      );
    }

    if (CASES.has('cli')) {
      const [help, bareNode] = measure([
        { fn: () => time(process.execPath, [CLI, '--help']) },
        { fn: () => time(process.execPath, ['-e', '0']) },
      ]);
      results.push(row('CLI start', 'run-in-container --help', help, 'node -e 0', bareNode, 'ratio <= 1.5', (r) => r <= 1.5));
    }

    if (CASES.has('allowlist')) {
      const [with500, with5] = measure([{ fn: () => launcher(extra500) }, { fn: () => launcher(extra5) }]);
      results.push(
        row('allowlist size', 'launch, 500 extra domains', with500, 'launch, 5 extra domains', with5, 'ratio <= 1.1', (r) => r <= 1.1),
      );
    }

    if (CASES.has('refusals')) {
      // Refusals: one sandbox run, a warm-up, then RUNS timed attempts each: TCP to a port the
      // firewall rejects, and TLS to 443 with a server name that is not allowed (the name
      // check resets it). Both must fail at once, never time out.
      const refuseScript = `const net=require('net'),tls=require('tls');const ip=process.argv[1];const n=Number(process.argv[2]);
const time=(open)=>new Promise(r=>{const s=process.hrtime.bigint();const c=open();c.setTimeout(5000,()=>c.destroy(new Error('timeout')));
c.on('error',()=>r(Number(process.hrtime.bigint()-s)/1e9));c.on('close',()=>r(Number(process.hrtime.bigint()-s)/1e9));
c.on('secureConnect',()=>{c.destroy();r(-1)});c.on('data',()=>{c.destroy();r(-1)});});
const tcp=()=>net.connect(8080,ip),sni=()=>tls.connect({host:ip,port:443,servername:'not-allowed.bench.test',rejectUnauthorized:false});
(async()=>{const out={tcp:[],tls:[]};await time(tcp);await time(sni);
for(let i=0;i<n;i++){out.tcp.push(await time(tcp));out.tls.push(await time(sni));}console.log(JSON.stringify(out));})();`;
      const refused = run(process.execPath, [CLI, ...sandbox(['allowed.test'], ['node', '-e', refuseScript, net.fileIp, String(RUNS)])], {
        cwd: work,
        env: env(['allowed.test']),
      });
      const refusals = JSON.parse(refused.stdout.trim().split('\n').pop() || '{}');
      if (refused.status !== 0 || !(refusals.tcp?.length >= RUNS) || [...refusals.tcp, ...refusals.tls].some((s) => s < 0)) {
        throw new Error(`refused connection case failed (exit ${refused.status}): ${refused.stdout}${refused.stderr}`);
      }
      results.push(
        row(
          'blocked connect',
          'TCP connect to a port the firewall refuses, in the sandbox',
          refusals.tcp,
          undefined,
          undefined,
          '< 0.1 s',
          (_r, median) => median < 0.1,
        ),
      );
      results.push(
        row(
          'refused TLS name',
          'TLS to 443 with a server name not allowed, until the reset',
          refusals.tls,
          undefined,
          undefined,
          '< 0.1 s',
          (_r, median) => median < 0.1,
        ),
      );
    }

    if (CASES.has('throughput')) {
      // Throughput: interleaved rounds (one download in the sandbox, one in an unfiltered
      // container), so the noise of this machine hits both alike; plain HTTP and HTTPS.
      const once = `curl -sk -o /dev/null --max-time 120 -w '%{speed_download}\\n' "$1"`;
      const speed = (result) => {
        if (result.status !== 0) throw new Error(`throughput download failed: ${result.stderr}`);
        return Number(result.stdout.trim().split('\n').pop()) / 2 ** 20;
      };
      const variants = [
        { name: 'HTTP', scheme: 'http', flags: [], goal: 'ratio >= 0.95', check: (r) => r >= 0.95 },
        // R160: inspected TLS at least half as fast as unfiltered, and 150 MiB/s.
        { name: 'HTTPS', scheme: 'https', flags: [], goal: 'ratio >= 0.5, >= 150 MiB/s', check: (r, m) => r >= 0.5 && m >= 150 },
        {
          name: 'HTTPS --no-inspect',
          scheme: 'https',
          flags: ['--no-inspect', 'allowed.test'],
          goal: 'ratio >= 0.95',
          check: (r) => r >= 0.95,
        },
      ];
      for (const { name, scheme, flags, goal, check } of variants) {
        const [inSandbox, unfiltered] = measure([
          {
            fn: () =>
              speed(
                run(
                  process.execPath,
                  [CLI, ...sandbox(['allowed.test'], ['sh', '-c', once, 'sh', `${scheme}://allowed.test/file`], flags)],
                  {
                    cwd: work,
                    env: env(['allowed.test']),
                  },
                ),
              ),
          },
          {
            fn: () =>
              speed(
                run('docker', [
                  'run',
                  '--rm',
                  '--network',
                  net.name,
                  '--entrypoint',
                  'sh',
                  IMAGE,
                  '-c',
                  once,
                  'sh',
                  `${scheme}://${net.fileIp}/file`,
                ]),
              ),
          },
        ]);
        results.push(
          row(
            `throughput ${name}`,
            `${FILE_MB} MB download in the sandbox (MiB/s)`,
            inSandbox,
            'unfiltered container, same network (MiB/s)',
            unfiltered,
            goal,
            check,
            'MiB/s',
          ),
        );
      }
    }

    if (CASES.has('ttfb')) {
      // Time to first byte of a small HTTPS request, inspected or spliced (the median of 5
      // requests, each a new connection, per run): what inspection adds (R160).
      const firstByte = `for i in 1 2 3 4 5; do curl -sk -o /dev/null -w '%{time_starttransfer}\\n' https://allowed.test/; done | sort -n | sed -n 3p`;
      const ttfb = (flags) => () => {
        const result = run(process.execPath, [CLI, ...sandbox(['allowed.test'], ['sh', '-c', firstByte], flags)], {
          cwd: work,
          env: env(['allowed.test']),
        });
        if (result.status !== 0) throw new Error(`first byte failed: ${result.stderr}`);
        return Number(result.stdout.trim().split('\n').pop());
      };
      const [inspected, spliced] = measure([{ fn: ttfb([]) }, { fn: ttfb(['--no-inspect', 'allowed.test']) }]);
      results.push(
        row(
          'first byte HTTPS',
          'small HTTPS request, inspected: time to first byte',
          inspected,
          'the same, --no-inspect (spliced)',
          spliced,
          '+ < 10 ms',
          (_r, median) => median - summarize(spliced).median < 0.01,
        ),
      );
    }

    const latest = path.join(ROOT, 'bench/results/latest.json');
    const previous = existsSync(latest) ? JSON.parse(readFileSync(latest, 'utf8')) : undefined;
    for (const r of results) {
      const before = previous?.results?.find((p) => p.case === r.case || (r.case === 'throughput HTTP' && p.case === 'throughput'));
      r.previous = before === undefined ? undefined : { ratio: before.ratio, median: before.subject?.median, date: previous.machine?.date };
    }
    const report = { machine: machine(dockerVersion), runs: RUNS, results };
    const out = process.env.BENCH_OUT || (PARTIAL ? undefined : latest);
    if (out !== undefined) {
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    }
    const m = report.machine;
    console.log(
      `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB RAM, Docker ${m.docker}, Node ${m.node}, ` +
        `${m.date.slice(0, 10)}; ${RUNS} runs per case after a warm-up\n`,
    );
    console.log(formatTable(results));
    if (results.some((r) => !r.met)) process.exitCode = 3;
  } finally {
    net.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function row(name, what, samples, baselineWhat, baselineSamples, goal, check, unit = 's') {
  const subject = summarize(samples);
  const baseline = baselineSamples === undefined ? undefined : summarize(baselineSamples);
  const ratio = baseline === undefined ? undefined : subject.median / baseline.median;
  return { case: name, what, unit, subject, baselineWhat, baseline, ratio, goal, met: check(ratio, subject.median) };
}

main();
