import type { createRequire } from 'node:module';

/** The CommonJS `require` that `createRequire` returns (with resolve and cache). */
export type NodeRequire = ReturnType<typeof createRequire>;
