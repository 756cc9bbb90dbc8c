import { join } from 'node:path';
import { projectRoot } from '../../services/common/src/project-root.js';

/** Everything the local stack writes lives under .stack/ (git-ignored). */
export const stackRoot = () => join(projectRoot(), '.stack');
/** Resolved classpaths and the unpacked registry, shared by every stack instance. */
export const cacheDir = () => join(stackRoot(), 'cache');
/** The `npm run infra:up` instance: data, logs and pid files. */
export const localStackDir = () => join(stackRoot(), 'local');
export const kafkaInfraDir = () => join(projectRoot(), 'infra', 'kafka');
