import { runCli } from './run.js';

// Entry point of the `smscx-oauth-server` binary: the command line on the process's streams and
// environment. `serve` keeps the process alive after runCli resolves (the server listens).
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
