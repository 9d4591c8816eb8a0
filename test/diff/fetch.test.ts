/** `herald diff` and `herald graph` know the fetch step: a line per changed field, header sources never values. */
import { describe, expect, it } from 'vitest';
import type { Step } from '../../compiler/bundle/schema.ts';
import { diffSteps } from '../../compiler/diff/steps.ts';
import { stepDetails } from '../../compiler/graph/describe.ts';

const fetchStep = (extra: Partial<Extract<Step, { kind: 'fetch' }>> = {}): Step => ({
  id: 'cart',
  kind: 'fetch',
  url: 'https://shop.example.com/carts/{{cart_id}}',
  headers: { Authorization: { env: 'SHOP_TOKEN' } },
  response: { type: 'object', properties: { status: { type: 'string' } } },
  timeoutMs: 5_000,
  onError: 'fail',
  ...extra,
});

describe('fetch step in diff and graph', () => {
  it('lists each changed field, naming where a header comes from', () => {
    const after = fetchStep({
      url: 'https://shop.example.com/v2/carts/{{cart_id}}',
      headers: { Authorization: { value: 'Bearer public' } },
      timeoutMs: 2_000,
      onError: 'continue',
    });
    expect(diffSteps([fetchStep()], [after]).changes.map((c) => c.summary)).toEqual([
      'fetch `cart`: url `https://shop.example.com/carts/{{cart_id}}` → `https://shop.example.com/v2/carts/{{cart_id}}`',
      'fetch `cart`: header `Authorization` env `SHOP_TOKEN` → literal',
      'fetch `cart`: timeout 5s → 2s',
      'fetch `cart`: on error fail → continue',
    ]);
  });

  it('describes the request in a diagram with header names only', () => {
    expect(stepDetails(fetchStep())).toEqual(['GET https://shop.example.com/carts/{{cart_id}}', 'headers Authorization', 'timeout 5s', 'on error fail']);
  });
});
