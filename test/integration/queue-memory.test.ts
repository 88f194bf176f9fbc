/**
 * @module The queue's byte bound holds in heap: for every span shape of bench/queue-heap-probe.ts,
 * the estimate that `sending_queue.queue_size_bytes` is compared with stays within 0.95–1.5× of the
 * heap the queued spans retain, measured after full collections (memory, unlike time, is
 * deterministic enough to test: the median of three runs of 10,000 spans each).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPAN_SHAPES, medianQueueHeap } from '../../bench/queue-heap-probe.js';

const SPANS_PER_RUN = 10_000;
const RUNS = 3;
const LOWEST_RATIO = 0.95;
const HIGHEST_RATIO = 1.5;

describe('a queue estimates the heap its spans retain', () => {
  for (const shape of SPAN_SHAPES) {
    it(`within ${LOWEST_RATIO}–${HIGHEST_RATIO}× for ${shape.name}`, async (t) => {
      const { measuredBytesPerSpan: measured, estimatedBytesPerSpan: estimated } = await medianQueueHeap(shape, SPANS_PER_RUN, RUNS);
      const ratio = estimated / measured;
      const figures = `${estimated.toFixed(0)} bytes per span estimated, ${measured.toFixed(0)} measured (${ratio.toFixed(2)}x)`;
      t.diagnostic(figures);
      assert.ok(ratio >= LOWEST_RATIO, `the queue would hold more than it claims: ${figures}`);
      assert.ok(ratio <= HIGHEST_RATIO, `the queue would refuse spans it has room for: ${figures}`);
    });
  }
});
