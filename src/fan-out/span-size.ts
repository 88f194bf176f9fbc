/**
 * @module Cheap estimate of the heap a span retains, used to bound queues and the store in bytes.
 * It counts what V8 (64-bit, no pointer compression, as Node ships) allocates for the objects, arrays
 * and strings a mapped span holds, at or a little above what is measured: bench/queue-heap-probe.ts
 * measures it per span shape and test/integration/queue-memory.test.ts holds it to 0.95–1.5×.
 * The Resource and instrumentation scope are shared by all spans of a service and not counted.
 */
import type { AttributeValue, Attributes, HrTime, Link } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

const POINTER_BYTES = 8;
/** A heap number: what a number that is no 32-bit integer (Smi) costs wherever it is stored. */
const HEAP_NUMBER_BYTES = 16;
/** Map, hash and length before a sequential string's characters, which are padded to 8 bytes. */
const STRING_HEADER_BYTES = 16;
/** A JSArray (map, properties, elements, length); its elements are a separate array. */
const ARRAY_BYTES = 32;
/** Map and length of a FixedArray, the backing store of arrays and out-of-object properties. */
const FIXED_ARRAY_HEADER_BYTES = 16;
/** An HrTime `[seconds, nanos]`: a JSArray and its two-element backing store. */
const HR_TIME_BYTES = ARRAY_BYTES + FIXED_ARRAY_HEADER_BYTES + 2 * POINTER_BYTES;
/** The mapper's span object: 3 header words and 17 fields. */
const SPAN_OBJECT_BYTES = 24 + 17 * POINTER_BYTES;
/** `{ traceId, spanId, traceFlags }`, and `isRemote` on a parent's or a link's context. */
const SPAN_CONTEXT_BYTES = 24 + 3 * POINTER_BYTES;
const REMOTE_SPAN_CONTEXT_BYTES = SPAN_CONTEXT_BYTES + POINTER_BYTES;
/**
 * An id cut from a hex digest (src/mapping/ids.ts): V8 makes a sliced string (32 bytes) that keeps
 * the whole 64-character digest (80 bytes) alive.
 */
const DIGEST_SLICE_BYTES = 32 + STRING_HEADER_BYTES + 64;
/** `{ code }`; a message takes one field more. */
const STATUS_BYTES = 24 + POINTER_BYTES;
/** `{ name, time, attributes }`, and `{ context, attributes }`. */
const EVENT_BYTES = 24 + 3 * POINTER_BYTES;
const LINK_BYTES = 24 + 2 * POINTER_BYTES;
/** An object made as `{}` or `{ [key]: value }` has room for four properties inside it. */
const IN_OBJECT_PROPERTIES = 4;
/** Out-of-object property storage grows three fields at a time. */
const PROPERTY_ARRAY_STEP = 3;
/**
 * From this many properties (V8's most descriptors of a fast object), an object is a hash table
 * (dictionary mode): a header, then key, value and details per entry, with the capacity a power of
 * two of at least 1.5× the entries. The mapping sets its own attributes by named stores (literal
 * keys), its first pass-through ones by assignment and the rest by defineProperty, which keep an
 * object fast below that (measured up to 200 pass-through attributes): V8 turns an object filled by
 * many computed-key stores (`attributes[name] = value`) into a dictionary from about 20 to 40.
 */
const DICTIONARY_FROM_PROPERTIES = 1020;
const DICTIONARY_HEADER_BYTES = 88;
const DICTIONARY_ENTRY_BYTES = 3 * POINTER_BYTES;
/** The smallest backing store an array gets on its first push. */
const FIRST_PUSH_CAPACITY = 17;
/** A queue's record of one enqueued list: the list, two counters and the spool sequence. */
const QUEUED_LIST_RECORD_BYTES = 24 + 4 * POINTER_BYTES;
// Characters above U+00FF make V8 store a string with two bytes per character. On a one-byte
// string V8's regexp engine rejects this class without reading it, so the test is constant time.
// A regexp flattens a concatenated string first: a value cut by capText (a slice of the uncut text
// plus a marker) then holds only its own characters, which is what is counted, not the uncut text.
const TWO_BYTE_CHARACTER = /[\u0100-\uffff]/;

function stringBytes(text: string): number {
  const width = TWO_BYTE_CHARACTER.test(text) ? 2 : 1;
  return STRING_HEADER_BYTES + Math.ceil((text.length * width) / POINTER_BYTES) * POINTER_BYTES;
}

function numberBytes(value: number): number {
  return (value | 0) === value ? 0 : HEAP_NUMBER_BYTES;
}

/** An object with `count` properties, without its values. */
function objectBytes(count: number): number {
  if (count >= DICTIONARY_FROM_PROPERTIES) {
    let capacity = 1;
    while (capacity < count + (count >> 1)) capacity *= 2;
    return DICTIONARY_HEADER_BYTES + capacity * DICTIONARY_ENTRY_BYTES;
  }
  const base = 24 + IN_OBJECT_PROPERTIES * POINTER_BYTES;
  if (count <= IN_OBJECT_PROPERTIES) return base;
  const outside = Math.ceil((count - IN_OBJECT_PROPERTIES) / PROPERTY_ARRAY_STEP) * PROPERTY_ARRAY_STEP;
  return base + FIXED_ARRAY_HEADER_BYTES + outside * POINTER_BYTES;
}

/** An array of `length` items filled by `push`, without its items: backing stores grow by half plus 16. */
function pushedArrayBytes(length: number): number {
  if (length === 0) return ARRAY_BYTES;
  let capacity = FIRST_PUSH_CAPACITY;
  while (capacity < length) capacity += (capacity >> 1) + 16;
  return ARRAY_BYTES + FIXED_ARRAY_HEADER_BYTES + capacity * POINTER_BYTES;
}

function valueBytes(value: AttributeValue | undefined): number {
  if (typeof value === 'string') return stringBytes(value);
  if (typeof value === 'number') return numberBytes(value);
  if (Array.isArray(value)) {
    let total = ARRAY_BYTES + FIXED_ARRAY_HEADER_BYTES + value.length * POINTER_BYTES;
    for (const item of value) if (typeof item === 'string') total += stringBytes(item);
    return total;
  }
  return 0;
}

function attributesBytes(attributes: Attributes | undefined): number {
  if (attributes === undefined) return 0;
  let count = 0;
  let values = 0;
  for (const key in attributes) {
    count++;
    values += valueBytes(attributes[key]);
  }
  return objectBytes(count) + values;
}

function eventBytes(event: TimedEvent, spanStart: HrTime, spanEnd: HrTime): number {
  const time = event.time === spanStart || event.time === spanEnd ? 0 : HR_TIME_BYTES;
  return EVENT_BYTES + stringBytes(event.name) + time + attributesBytes(event.attributes);
}

function linkBytes(link: Link): number {
  return LINK_BYTES + REMOTE_SPAN_CONTEXT_BYTES + 2 * DIGEST_SLICE_BYTES + attributesBytes(link.attributes);
}

/**
 * Estimated heap bytes one span retains, its own strings included (resource and scope are shared and
 * not counted). Costs one pass over its attributes, events and links; no serialization.
 */
export function estimateSpanBytes(span: ReadableSpan): number {
  let total = SPAN_OBJECT_BYTES + SPAN_CONTEXT_BYTES + 2 * DIGEST_SLICE_BYTES + 3 * HR_TIME_BYTES + stringBytes(span.name);
  // The parent's ids are the parent span's own strings.
  if (span.parentSpanContext !== undefined) total += REMOTE_SPAN_CONTEXT_BYTES;
  total += STATUS_BYTES + (span.status.message === undefined ? 0 : POINTER_BYTES + stringBytes(span.status.message));
  total += attributesBytes(span.attributes);
  total += pushedArrayBytes(span.events.length);
  for (const event of span.events) total += eventBytes(event, span.startTime, span.endTime);
  total += pushedArrayBytes(span.links.length);
  for (const link of span.links) total += linkBytes(link);
  return total;
}

/**
 * Estimated heap bytes a queue holding `spans` as one list retains: every span, the list (filled by
 * `push`, as the intake and the counted-once ledger fill theirs) and the queue's record of it. An
 * empty list is 0: a queue keeps nothing of it.
 */
export function estimateSpansBytes(spans: readonly ReadableSpan[]): number {
  return estimateListBytes(spans.length, spans.map(estimateSpanBytes));
}

/** {@link estimateSpansBytes} of a list of `count` spans whose own estimates are `spanBytes`. */
export function estimateListBytes(count: number, spanBytes: readonly number[]): number {
  if (count === 0) return 0;
  let total = pushedArrayBytes(count) + QUEUED_LIST_RECORD_BYTES;
  for (const bytes of spanBytes) total += bytes;
  return total;
}
