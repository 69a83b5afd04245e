import { containerPathFor, formatMount } from '../../scripts/core/run/mount-spec.js';

describe('formatMount', () => {
  it.each<[string, string, boolean, string]>([
    ['/w/p', '/app/w/p', false, 'type=bind,source=/w/p,target=/app/w/p'],
    ['/w/p', '/app/w/p', true, 'type=bind,source=/w/p,target=/app/w/p,readonly'],
    ['/w/a,b', '/app/w/a,b', false, 'type=bind,"source=/w/a,b","target=/app/w/a,b"'],
    ['/w/a"b', '/app/w/a"b', true, 'type=bind,"source=/w/a""b","target=/app/w/a""b",readonly'],
    ['/w/a\nb', '/app/w/a\nb', false, 'type=bind,"source=/w/a\nb","target=/app/w/a\nb"'],
    ['/w/a\rb', '/x', false, 'type=bind,"source=/w/a\rb",target=/x'],
    ['/w/a:b', '/app/w/a:b', false, 'type=bind,source=/w/a:b,target=/app/w/a:b'],
    ['/w/a b', '/app/w/a b', false, 'type=bind,source=/w/a b,target=/app/w/a b'],
    ["/w/it's $(x)", "/app/w/it's $(x)", false, "type=bind,source=/w/it's $(x),target=/app/w/it's $(x)"],
    ['/w/"a,b"', '/t', true, 'type=bind,"source=/w/""a,b""",target=/t,readonly'],
    ['/w/a=b', '/t', false, 'type=bind,source=/w/a=b,target=/t'],
  ])('%j -> %j (readonly %s)', (source, target, readonly, expected) => {
    expect(formatMount({ source, target, readonly })).toBe(expected);
  });
});

describe('containerPathFor', () => {
  it.each([
    ['/w/p', '/app/w/p'],
    ['/a b/c', '/app/a b/c'],
  ])('%j -> %j', (host, container) => {
    expect(containerPathFor(host)).toBe(container);
  });
});
