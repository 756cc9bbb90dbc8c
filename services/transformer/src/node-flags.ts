// The transformer's Node flags live with what every launcher shares (npm start, the benchmarks,
// the fault suite): services/common/src/node-flags.ts.
export { TRANSFORMER_NODE_FLAGS } from '../../common/src/node-flags.js';
