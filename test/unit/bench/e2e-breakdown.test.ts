import { describe, expect, it } from 'vitest';
import { counterTotal } from '../../bench/e2e-breakdown.js';

const page = `# HELP transformer_transactions_total transactions
# TYPE transformer_transactions_total counter
transformer_transactions_total{result="commit",service="transformer"} 120
transformer_transactions_total{result="abort",service="transformer"} 3
transformer_transactions_total_created{result="commit"} 1700000000
# TYPE transformer_concurrent_transactions_retries_total counter
transformer_concurrent_transactions_retries_total{service="transformer"} 17
transformer_concurrent_transactions_retries_total 4
`;

describe('counterTotal', () => {
  it('sums the samples of one counter whose labels include the filter', () => {
    expect(counterTotal(page, 'transformer_transactions_total', { result: 'commit' })).toBe(120);
    expect(counterTotal(page, 'transformer_transactions_total')).toBe(123);
    expect(counterTotal(page, 'transformer_concurrent_transactions_retries_total')).toBe(21);
  });

  it('is 0 for a counter the page does not have', () => {
    expect(counterTotal(page, 'transformer_missing_total')).toBe(0);
  });
});
