import { AbortError, UsageError } from '../../core/errors.js';

/** More than any API key: a larger stdin is refused, never read whole. */
const MAX_SECRET_BYTES = 64 * 1024;

/**
 * Reads a secret from the launcher's stdin (R138): piped, everything up to EOF (capped);
 * on a terminal, one line typed without echo after `prompt` on stderr. Never printed.
 */
export async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return stdin.isTTY === true ? readTyped(stdin, prompt) : readPiped(stdin);
}

async function readPiped(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_SECRET_BYTES) {
      stdin.destroy();
      throw new UsageError(`stdin holds more than ${MAX_SECRET_BYTES / 1024} KiB: pipe in the key alone`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Raw mode, no echo: Enter ends, Backspace deletes, Ctrl-C cancels, Ctrl-D on an empty line ends. */
function readTyped(stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error === undefined) resolve(text);
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || (char === '\u0004' && text === '')) return finish();
        if (char === '\u0003') return finish(new AbortError('cancelled: nothing was stored'));
        if (char === '\u007f' || char === '\b') text = text.slice(0, -1);
        else if (text.length < MAX_SECRET_BYTES) text += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
