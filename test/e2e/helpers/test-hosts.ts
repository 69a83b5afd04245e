import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { docker, dockerLogs, IMAGE } from './run-launcher.js';
import { TEST_LABEL } from './test-network.js';

/** A labelled docker network for one suite, with test hosts started on it (removed together). */
export interface LabNetwork {
  name: string;
  /** Starts `node -e SCRIPT` from the sandbox image as `<network>-<suffix>` with these aliases. */
  startNode(suffix: string, aliases: readonly string[], script: string, extra?: readonly string[]): string;
  ipOf(container: string): string;
  ipv6Of(container: string): string;
  logs(container: string): string;
  remove(): void;
}

export function createLabNetwork(prefix: string, options: { ipv6Subnet?: string } = {}): LabNetwork {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const containers: string[] = [];
  const ipv6 = options.ipv6Subnet === undefined ? [] : ['--ipv6', '--subnet', options.ipv6Subnet];
  docker(['network', 'create', '--label', TEST_LABEL, ...ipv6, name]);
  const field = (container: string, key: string) =>
    docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${name}").${key}}}`, container]);
  return {
    name,
    startNode(suffix, aliases, script, extra = []) {
      const container = `${name}-${suffix}`;
      const aliasArgs = aliases.flatMap((alias) => ['--network-alias', alias]);
      docker([
        'run',
        '-d',
        '--rm',
        '--label',
        TEST_LABEL,
        '--name',
        container,
        '--network',
        name,
        ...aliasArgs,
        ...extra,
        '--entrypoint',
        'node',
        IMAGE,
        '-e',
        script,
      ]);
      containers.push(container);
      return container;
    },
    ipOf: (container) => field(container, 'IPAddress'),
    ipv6Of: (container) => field(container, 'GlobalIPv6Address'),
    logs: dockerLogs,
    remove() {
      for (const args of [...containers.map((c) => ['rm', '-f', c]), ['network', 'rm', name]]) {
        try {
          docker(args);
        } catch {
          // already gone
        }
      }
    },
  };
}

/** Polls (no fixed sleep) until `container` accepts connections on `port` (TLS when asked). */
export function waitForPort(container: string, port: number, tls = false): void {
  const probe = tls
    ? `require('https').get({host:'127.0.0.1',port:${port},rejectUnauthorized:false},()=>process.exit(0)).on('error',()=>process.exit(1))`
    : `require('net').connect(${port},'127.0.0.1',()=>process.exit(0)).on('error',()=>process.exit(1))`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    try {
      docker(['exec', container, 'node', '-e', probe]);
      return;
    } catch {
      // not listening yet
    }
  }
  throw new Error(`${container} did not listen on ${port}`);
}

/** A self-signed certificate (key + cert, readable by the test hosts) for the given names. */
export function makeSelfSignedCertificate(dir: string, names: readonly string[]): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-subj',
      `/CN=${names[0] ?? 'test'}`,
      '-addext',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  execFileSync('chmod', ['a+r', 'server.key', 'server.crt'], { cwd: dir });
}

/**
 * One web host for two names (or more) on one address: HTTP on 80 and HTTPS on 443 (the
 * certificate in /certs), each request logged as `SERVED <proto> host=<Host> sni=<SNI>` and
 * each TLS handshake as `TLS sni=<SNI>`. Listens on IPv4 and IPv6.
 */
export const WEB_SERVER = `const http=require('http'),https=require('https'),fs=require('fs');
const h=(p)=>(q,s)=>{console.log('SERVED '+p+' host='+(q.headers.host||'')+' sni='+(q.socket.servername||''));
 s.end('ok '+process.env.NAME+' '+p+'\\n');};
http.createServer(h('http')).listen(80,'::');
const t=https.createServer({key:fs.readFileSync('/certs/server.key'),cert:fs.readFileSync('/certs/server.crt')},h('https'));
t.on('secureConnection',s=>console.log('TLS sni='+(s.servername||'')));t.listen(443,'::');`;

/** HTTP on 80 only, each request logged as `GOT <Host><path>`: the verdict of a test (R167, R169). */
export const LOGGING_SERVER = "require('http').createServer((q,s)=>{console.log('GOT '+q.headers.host+q.url);s.end('ok\\n')}).listen(80)";

/**
 * An upstream forward proxy that forwards everything (absolute-URI requests and CONNECT) and
 * logs `FORWARDED <method> <target>`; with AUTH=user:pass it wants that login (407 otherwise).
 */
export const FORWARD_PROXY = `const http=require('http'),net=require('net');
const want=process.env.AUTH?'Basic '+Buffer.from(process.env.AUTH).toString('base64'):'';
const ok=(q)=>!want||q.headers['proxy-authorization']===want;
const p=http.createServer((q,r)=>{if(!ok(q)){console.log('NO-LOGIN '+q.method+' '+q.url);r.writeHead(407);return r.end();}
 console.log('FORWARDED '+q.method+' '+q.url);let u;try{u=new URL(q.url);}catch{r.writeHead(400);return r.end();}
 http.get({host:u.hostname,port:u.port||80,path:u.pathname,headers:{host:u.host}},up=>{r.writeHead(up.statusCode);up.pipe(r);})
  .on('error',e=>{r.writeHead(502);r.end(String(e));});});
p.on('connect',(q,s,head)=>{if(!ok(q)){console.log('NO-LOGIN CONNECT '+q.url);return s.end('HTTP/1.1 407 Login\\r\\n\\r\\n');}
 console.log('FORWARDED CONNECT '+q.url);const [host,port]=q.url.split(':');
 const up=net.connect(Number(port),host,()=>{s.write('HTTP/1.1 200 OK\\r\\n\\r\\n');up.write(head);up.pipe(s);s.pipe(up);});
 up.on('error',()=>s.destroy());s.on('error',()=>up.destroy());});
p.listen(3128);`;

/** Shell helpers for check scripts run inside the sandbox: one `PASS name` / `FAIL name: …` line each. */
export const CHECK_HELPERS = String.raw`
ok()    { if "$@" >/dev/null 2>&1; then echo "PASS $NAME"; else echo "FAIL $NAME"; fi; }
fails() { if "$@" >/dev/null 2>&1; then echo "FAIL $NAME: got through"; else echo "PASS $NAME"; fi; }
quick_fail() { # refused, and at once (never a hang)
  local t0 t1; t0=$(date +%s%3N)
  if "$@" >/dev/null 2>&1; then echo "FAIL $NAME: got through"; return; fi
  t1=$(date +%s%3N)
  if (( t1 - t0 < 1500 )); then echo "PASS $NAME"; else echo "FAIL $NAME: took $((t1 - t0)) ms"; fi
}
`;

/** The names of the checks (`NAME="…"`) in a script, to expect one result line each. */
export function checkNames(script: string): string[] {
  return [...script.matchAll(/^NAME="([^"]+)"/gm)].map((match) => match[1] as string);
}

/** A static file server for /srv on 80 (a "dumb HTTP" git remote), logging `GET <url>`. */
export const STATIC_SERVER = `const fs=require('fs'),path=require('path');
require('http').createServer((q,s)=>{const p=path.normalize(path.join('/srv',decodeURIComponent(q.url.split('?')[0])));
console.log('GET '+q.url);
if(!p.startsWith('/srv/')){s.statusCode=403;return s.end();}
fs.readFile(p,(e,d)=>{if(e){s.statusCode=404;return s.end();}s.end(d);});}).listen(80,()=>console.log('STATIC-LISTENING'));`;
