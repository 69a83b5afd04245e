/**
 * The privilege part every sandbox `docker run` must carry (R19), written out once for
 * the tests that compare whole argv arrays: a change to it fails all of them.
 */
export const SECURITY_ARGS: readonly string[] = [
  '--cap-drop',
  'ALL',
  '--cap-add',
  'CHOWN',
  '--cap-add',
  'DAC_OVERRIDE',
  '--cap-add',
  'FOWNER',
  '--cap-add',
  'KILL',
  '--cap-add',
  'SETUID',
  '--cap-add',
  'SETGID',
  '--cap-add',
  'SETPCAP',
  '--cap-add',
  'NET_BIND_SERVICE',
  '--cap-add',
  'NET_ADMIN',
  '--cap-add',
  'NET_RAW',
  '--security-opt',
  'no-new-privileges',
  '--sysctl',
  'net.ipv4.ip_unprivileged_port_start=1024',
  '--sysctl',
  'net.netfilter.nf_conntrack_acct=1',
];
