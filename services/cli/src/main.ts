#!/usr/bin/env node
import { runCli } from './program.js';

// `ghl-pipeline tail … | head`: the reader went away, which is a normal way to stop.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await runCli(process.argv.slice(2));
