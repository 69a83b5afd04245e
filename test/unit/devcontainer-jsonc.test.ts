import { UsageError } from '../../scripts/core/errors.js';
import { parseJsonc } from '../../scripts/core/image/jsonc.js';

/** R187: devcontainer.json is JSON with comments and trailing commas; parsed without a dependency. */
const F = '/p/.devcontainer/devcontainer.json';

describe('parseJsonc', () => {
  it.each([
    ['plain JSON', '{"image": "python:3.12-bookworm"}', { image: 'python:3.12-bookworm' }],
    ['line comments', '// a devcontainer\n{\n  "image": "x" // the base\n}\n', { image: 'x' }],
    ['block comments, several lines', '{ /* one\n two */ "image": "x" }', { image: 'x' }],
    ['trailing commas in objects and arrays', '{"a": [1, 2, ], "b": {"c": 1,},}', { a: [1, 2], b: { c: 1 } }],
    ['a trailing comma before a comment', '{"a": 1, // done\n}', { a: 1 }],
    ['comment markers inside strings stay', '{"url": "http://x//y", "glob": "/* no */"}', { url: 'http://x//y', glob: '/* no */' }],
    ['an escaped quote inside a string', '{"a": "say \\"hi\\" // not a comment"}', { a: 'say "hi" // not a comment' }],
    ['a comma inside a string before a brace', '{"a": ",}"}', { a: ',}' }],
    ['a byte order mark', '\uFEFF{"a": 1}', { a: 1 }],
  ])('%s', (_name, text, expected) => {
    expect(parseJsonc(text, F)).toEqual(expected);
  });

  it.each([
    ['not JSON at all', 'image: python', `${F} is not valid JSON`],
    ['an unclosed block comment', '{"a": 1 /* oops', `${F} is not valid JSON: a /* comment is never closed`],
    ['two commas in a row', '{"a": 1,,}', `${F} is not valid JSON`],
    ['an empty file', '', `${F} is not valid JSON`],
  ])('%s → one-line UsageError', (_name, text, message) => {
    expect(() => parseJsonc(text, F)).toThrow(UsageError);
    expect(() => parseJsonc(text, F)).toThrow(message);
    try {
      parseJsonc(text, F);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('says what is wrong in one line without quoting the file back', () => {
    expect(() => parseJsonc('{\n"a": 1,\n"secret": "s3cr3t" x\n}', F)).toThrow(/^[^\n]*is not valid JSON[^\n]*fix it$/);
    expect(() => parseJsonc('{\n"a": 1,\n"secret": "s3cr3t" x\n}', F)).not.toThrow(/s3cr3t/);
  });

  it('stays linear on a long run of commas and blanks', () => {
    const text = `[${'1, '.repeat(100000)}1]`;
    expect((parseJsonc(text, F) as number[]).length).toBe(100001);
  });
});
