#!/usr/bin/env node
import { buildProgram, reportError } from './program.js';

const { program, exitCode } = buildProgram();
try {
  await program.parseAsync(process.argv);
  process.exitCode = exitCode();
} catch (err) {
  process.exitCode = reportError(err, process.env);
}
