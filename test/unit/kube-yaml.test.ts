import { createRequire } from 'node:module';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { quoteYamlString, renderYaml } from '../../scripts/core/engine/kube-yaml.js';
import { splitRepoShorthand } from '../../scripts/core/run/repo-spec.js';

const yaml = createRequire(import.meta.url)('js-yaml') as { load: (text: string) => unknown };

test('every string is one double-quoted line that keeps its type', () => {
  expect(renderYaml({ a: 'yes', b: '0x10', c: 'null', d: '', e: 1, f: false, g: [], h: {}, on: 'x', 'a b': 'y' })).toBe(
    'a: "yes"\nb: "0x10"\nc: "null"\nd: ""\ne: 1\nf: false\ng: []\nh: {}\n"on": "x"\n"a b": "y"\n',
  );
  expect(quoteYamlString('a\nb\u2028c\u0085d\ufeff"\\')).toBe('"a\\nb\\u2028c\\u0085d\\ufeff\\"\\\\"');
  const hostile = { k: ['- x', '#c', 'a: b', '\u001b[31m', '{x}', '*ref', '&a', '!tag', '%x', '@x', '`x`', '|', '>', '? x'] };
  expect(yaml.load(renderYaml(hostile))).toEqual(hostile);
});

test('nested sequences and mappings read back; comments stay one line each', () => {
  const value = { a: [{ b: [1, [2, 'c']], d: { e: 'f' } }, 'g'], h: undefined };
  const text = renderYaml(value, ['one\ntwo']);
  expect(text.split('\n')[0]).toBe('# one two');
  expect(yaml.load(text)).toEqual({ a: [{ b: [1, [2, 'c']], d: { e: 'f' } }, 'g'] });
  expect(() => renderYaml({ n: Number.NaN })).toThrow(/finite/);
});

test('the schema check refuses a broken Job (so the manifest tests can fail)', () => {
  expect(() => new Job({ apiVersion: 'batch/v1', kind: 'Job', spec: { backoffLimit: 'x' } } as never).validate()).toThrow();
});

test('--repo URL@REF (R180)', () => {
  expect(splitRepoShorthand('https://github.com/o/r@main')).toEqual({ url: 'https://github.com/o/r', ref: 'main' });
  expect(splitRepoShorthand('https://github.com/o/r.git@feature/x')).toEqual({ url: 'https://github.com/o/r.git', ref: 'feature/x' });
  expect(splitRepoShorthand('https://github.com/o/r')).toEqual({ url: 'https://github.com/o/r' });
  expect(splitRepoShorthand('https://user@github.com/o/r')).toEqual({ url: 'https://user@github.com/o/r' });
  expect(splitRepoShorthand('git@github.com:o/r')).toEqual({ url: 'git@github.com:o/r' });
});
