// Parsers for the CLI's numeric options and the adapter that hands any parser to commander; the
// parsers the console shares (positions, times, record references, lists) are in
// services/common/src/ops/specs.ts. Pure functions; a bad value is a UsageError (exit 2).
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../../common/src/ops/errors.js';

/** A whole number ≥ `min` (commander argParser). */
export function parseCount(min: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min)
      throw new UsageError(`"${text}" must be a whole number >= ${min}`);
    return value;
  };
}

/** A positive rate (records/s), fractions allowed. */
export function parseRate(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`"${text}" must be a positive number of records per second`);
  return value;
}

/** Adapts a parser for commander's argParser: its UsageError becomes commander's message. */
export function asArg<T>(parse: (text: string, previous: T) => T) {
  return (text: string, previous: T): T => {
    try {
      return parse(text, previous);
    } catch (err) {
      if (err instanceof UsageError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}
