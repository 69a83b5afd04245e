import {
  parseFilters,
  parsePsOutput,
  PS_FORMAT,
  renderRecords,
  selectRecords,
  toIsoTime,
  type SessionRecord,
} from '../../scripts/core/session/session-list.js';
import { chooseExecDir, findSession, pickDefaultSession } from '../../scripts/core/session/session-choice.js';

const line = (fields: Record<string, string>) =>
  JSON.stringify({
    container: '',
    state: 'running',
    image: 'codex-sandbox:latest',
    created: '2025-11-22 19:39:57 +0000 UTC',
    session: '',
    workdir: '',
    workdirs: '',
    mounts: '',
    runId: '',
    ...fields,
  });

const PS = [
  line({ container: 'codex-session-dev', session: 'dev', workdir: '/w/a,b', runId: 'aa11', mounts: '[]' }),
  line({
    container: 'codex-session-old',
    session: 'old',
    state: 'exited',
    workdir: '/w/old',
    workdirs: '["/w/old","/w/lib"]',
    runId: 'bb22',
  }),
  line({ container: 'codex-proj-1234abcd-cc33', workdir: '/w/proj', runId: 'cc33', image: 'codex-sandbox:0.1-node20' }),
  line({ container: 'codex-proj-1234abcd-dd44', state: 'exited', workdir: '/w/proj', runId: 'dd44' }),
].join('\n');

const records = parsePsOutput(`${PS}\n`);
const names = (list: SessionRecord[]) => list.map((record) => record.name ?? record.container);

describe('list: parsing docker ps', () => {
  it('reads labels one by one (a comma in a workdir stays), workdirs from the label or the workdir', () => {
    expect(records[0]).toEqual({
      name: 'dev',
      container: 'codex-session-dev',
      status: 'running',
      workdir: '/w/a,b',
      workdirs: ['/w/a,b'],
      image: 'codex-sandbox:latest',
      created: '2025-11-22T19:39:57+00:00',
      runId: 'aa11',
      mounts: '[]',
      agent: 'codex',
    });
    expect(records[1]!.workdirs).toEqual(['/w/old', '/w/lib']);
    expect(records[2]!.name).toBeNull();
  });

  it('the template asks for every field the parser reads, labels via .Label', () => {
    expect(PS_FORMAT).toContain('"session":{{json (.Label "codex-sandbox.session")}}');
    expect(PS_FORMAT).toContain('"workdir":{{json (.Label "codex-sandbox.workdir")}}');
    expect(PS_FORMAT).not.toContain('.Labels');
  });

  it.each([
    ['2025-11-22 19:39:57 +0000 UTC', '2025-11-22T19:39:57+00:00'],
    ['2025-01-02 03:04:05 +0100 CET', '2025-01-02T03:04:05+01:00'],
    ['garbage', 'garbage'],
  ])('toIsoTime(%j) = %j', (input, expected) => expect(toIsoTime(input)).toBe(expected));
});

describe('list: selection and filters', () => {
  it.each([
    ['default: sessions in any state + running plain runs', 'default', [], ['codex-proj-1234abcd-cc33', 'dev', 'old']],
    ['--all', 'all', [], ['codex-proj-1234abcd-cc33', 'codex-proj-1234abcd-dd44', 'dev', 'old']],
    ['--running', 'running', [], ['codex-proj-1234abcd-cc33', 'dev']],
    ['--stopped', 'stopped', [], ['codex-proj-1234abcd-dd44', 'old']],
    ['name=dev', 'default', ['name=dev'], ['dev']],
    ['name=<container>', 'all', ['name=codex-proj-1234abcd-dd44'], ['codex-proj-1234abcd-dd44']],
    ['workdir matches any workdir', 'default', ['workdir=/w/lib'], ['old']],
    ['image', 'all', ['image=codex-sandbox:0.1-node20'], ['codex-proj-1234abcd-cc33']],
    ['status=stopped', 'all', ['status=stopped'], ['codex-proj-1234abcd-dd44', 'old']],
    ['status=exited AND workdir', 'all', ['status=exited', 'workdir=/w/proj'], ['codex-proj-1234abcd-dd44']],
    ['no match', 'default', ['name=nope'], []],
  ] as const)('%s', (_name, state, filters, expected) => {
    expect(names(selectRecords(records, state, parseFilters(filters)))).toEqual(expected);
  });

  it.each([
    ['colour=red', '--filter "colour=red": unknown key "colour"; use one of name, workdir, image, status (key=value)'],
    ['name', '--filter "name": unknown key'.replace(' unknown key', ' has no value').replace('"name":', '"name"')],
    ['name=', '--filter "name=" has no value: use name=VALUE'],
  ])('refuses --filter %j', (word, message) => {
    expect(() => parseFilters([word])).toThrow(message);
  });
});

describe('list: rendering', () => {
  const shown = selectRecords(records, 'default', []);

  it('json: an array of exactly the documented fields', () => {
    expect(JSON.parse(renderRecords(shown.slice(1, 2), 'json'))).toEqual([
      {
        name: 'dev',
        container: 'codex-session-dev',
        status: 'running',
        workdir: '/w/a,b',
        workdirs: ['/w/a,b'],
        image: 'codex-sandbox:latest',
        created: '2025-11-22T19:39:57+00:00',
        runId: 'aa11',
        agent: 'codex',
        agentVersion: null,
      },
    ]);
    expect(renderRecords([], 'json')).toBe('[]\n');
  });

  it('names: session names only, one per line', () => {
    expect(renderRecords(shown, 'names')).toBe('dev\nold\n');
    expect(renderRecords([], 'names')).toBe('');
  });

  it('table: aligned columns, "-" for plain runs, (+N) for more workdirs', () => {
    expect(renderRecords(shown, 'table').split('\n')).toEqual([
      'NAME  CONTAINER                 STATUS   AGENT  WORKDIR      IMAGE                     CREATED',
      '-     codex-proj-1234abcd-cc33  running  codex  /w/proj      codex-sandbox:0.1-node20  2025-11-22T19:39:57+00:00',
      'dev   codex-session-dev         running  codex  /w/a,b       codex-sandbox:latest      2025-11-22T19:39:57+00:00',
      'old   codex-session-old         exited   codex  /w/old (+1)  codex-sandbox:latest      2025-11-22T19:39:57+00:00',
      '',
    ]);
    expect(renderRecords([], 'table')).toBe('');
  });
});

describe('choosing a session', () => {
  it('the only running session of the current directory (or below it)', () => {
    expect(pickDefaultSession(records, '/w/a,b/src', true, 'attach').name).toBe('dev');
  });

  it('none here: names the others', () => {
    expect(() => pickDefaultSession(records, '/elsewhere', true, 'attach')).toThrow(
      'no running session for /elsewhere: give its name (run-in-container attach NAME); running sessions: dev',
    );
  });

  it('a stopped one counts only when running is not required', () => {
    expect(() => pickDefaultSession(records, '/w/lib', true, 'attach')).toThrow('no running session for /w/lib');
    expect(pickDefaultSession(records, '/w/lib', false, 'destroy').name).toBe('old');
  });

  it('several: asks for one name', () => {
    const twin = { ...records[0]!, name: 'dev-2', container: 'codex-session-dev-2' };
    expect(() => pickDefaultSession([...records, twin], '/w/a,b', true, 'attach')).toThrow(
      'several running sessions for /w/a,b (dev, dev-2): give one name',
    );
  });

  it('findSession by name; unknown names say how to list', () => {
    expect(findSession(records, 'old').container).toBe('codex-session-old');
    expect(() => findSession(records, 'nope')).toThrow('no session named "nope": see run-in-container list');
  });

  it('exec starts in the asked workdir when the session mounts it, else in its first', () => {
    expect(chooseExecDir('/w/lib', records[1]!)).toBe('/app/w/lib');
    expect(chooseExecDir('/elsewhere', records[1]!)).toBe('/app/w/old');
  });
});
