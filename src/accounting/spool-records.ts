/**
 * @module The two kinds of spool record, told apart by their first byte. An A2A record is the JSON
 * of the request as read (trace-intake.ts), so it starts with `{`; an OTLP record is a protobuf
 * `ExportTraceServiceRequest` of the settled spans (otlp-intake.ts), which starts with the tag of its
 * field 1, `resource_spans` (0x0a), since a record always holds a span.
 */

const OPEN_BRACE = 0x7b;

/** Whether a spool record is an A2A one (else an OTLP one). */
export function isA2ARecord(payload: Buffer): boolean {
  return payload[0] === OPEN_BRACE;
}
