import { findOverlappingSandbox, refuseProxyForProjectBuild } from '../../scripts/core/image/devcontainer.js';
import { parseProxyUrl } from '../../scripts/core/egress/proxy-spec.js';

/** R188: the project's Dockerfile is the agent's to change; its build gets nothing of the user's beyond the project. */
describe("the devcontainer Dockerfile's build", () => {
  it('gets a proxy without a login and off the loopback', () => {
    expect(() => refuseProxyForProjectBuild(undefined)).not.toThrow();
    expect(() => refuseProxyForProjectBuild(parseProxyUrl('http://proxy.corp:3128', '--proxy'))).not.toThrow();
  });

  it("never gets the user's proxy login or the host's network", () => {
    expect(() => refuseProxyForProjectBuild(parseProxyUrl('http://me:s3cret@proxy.corp:3128', 'HTTPS_PROXY'))).toThrow(
      /so its build is not given your proxy login \(HTTPS_PROXY\): build that base yourself/,
    );
    const message = (() => {
      try {
        refuseProxyForProjectBuild(parseProxyUrl('http://me:s3cret@proxy.corp:3128', 'HTTPS_PROXY'));
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).not.toContain('s3cret');
    expect(() => refuseProxyForProjectBuild(parseProxyUrl('http://127.0.0.1:3128', '--proxy'))).toThrow(/does not get the host's network/);
  });

  it('is refused while a sandbox runs on the directory, above it or inside it', () => {
    const running = [
      { name: 'codex-session-a', workdirs: ['/home/u/other'] },
      { name: 'codex-session-b', workdirs: ['/home/u/proj/sub', '/home/u/data'] },
    ];
    expect(findOverlappingSandbox('/home/u/proj', running)).toBe('codex-session-b');
    expect(findOverlappingSandbox('/home/u', running)).toBe('codex-session-a');
    expect(findOverlappingSandbox('/home/u/proj/sub/deeper', running)).toBe('codex-session-b');
    expect(findOverlappingSandbox('/home/u/projx', running)).toBeUndefined();
    expect(findOverlappingSandbox('/srv', [])).toBeUndefined();
  });
});
