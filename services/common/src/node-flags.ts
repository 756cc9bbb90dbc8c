/**
 * Node flags the transformer runs with (npm start, start:transformer, the benchmark). V8's default
 * young generation (16 MB semi-spaces) made the transformer's RSS ~40 MB larger under load with no
 * throughput to show for it; 8 MB kept the throughput (4 MB cost ~15%). Measured with
 * `npm run bench:transformer`; see README "Performance".
 */
export const TRANSFORMER_NODE_FLAGS = ['--max-semi-space-size=8'] as const;
