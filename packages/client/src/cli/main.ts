/**
 * Entry point of the `smscx` binary (bin/smscx.js imports it): wires {@link run} to the process.
 * @packageDocumentation
 */
import { type CliIo, run } from './run.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const io: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readAll(process.stdin),
};

// Set exitCode instead of calling process.exit() so pending stdout writes are flushed.
run(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
