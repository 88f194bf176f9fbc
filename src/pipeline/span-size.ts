/**
 * @module Cheap estimate of a span's encoded size, used to bound queues in bytes. It errs on the
 * large side (JSON-ish text) so that a queue never holds more memory than it claims.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

const SPAN_OVERHEAD_BYTES = 160;
const EVENT_OVERHEAD_BYTES = 40;

function valueBytes(value: AttributeValue | undefined): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) {
    let total = 0;
    for (const item of value) total += typeof item === 'string' ? item.length : 8;
    return total;
  }
  return 8;
}

function attributesBytes(attributes: Attributes | undefined): number {
  if (attributes === undefined) return 0;
  let total = 0;
  for (const key in attributes) total += key.length + valueBytes(attributes[key]) + 8;
  return total;
}

/** Estimated size of one span in bytes (resource attributes are shared and not counted). */
export function estimateSpanBytes(span: ReadableSpan): number {
  let total = SPAN_OVERHEAD_BYTES + span.name.length + attributesBytes(span.attributes);
  for (const event of span.events) total += EVENT_OVERHEAD_BYTES + event.name.length + attributesBytes(event.attributes);
  return total;
}

/** Estimated size of a list of spans in bytes. */
export function estimateSpansBytes(spans: readonly ReadableSpan[]): number {
  let total = 0;
  for (const span of spans) total += estimateSpanBytes(span);
  return total;
}
