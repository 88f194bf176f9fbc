/**
 * @module The collector's own health metrics (DESIGN §4): what it received, rejected, exported,
 * failed to export and dropped, and how full its queues are. Registered on the collector's
 * prom-client registry and served on /metrics next to the span metrics.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Why a request was refused. Bounded set: used as a label value. */
/** Why ingest refused a request: the `reason` label of `a2a_collector_rejected_requests_total`. */
export const REJECT_REASONS = ['invalid', 'no_trace', 'too_large', 'queue_full', 'spool_full', 'spool_unavailable', 'unauthorized', 'unsupported_media_type', 'internal'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Counters and gauges of the collector's own behaviour. */
export class SelfMetrics {
  readonly receivedTraces: Counter;
  readonly receivedSteps: Counter;
  readonly rejectedRequests: Counter<'reason'>;
  readonly exportedSpans: Counter<'exporter'>;
  readonly exportFailures: Counter<'exporter'>;
  readonly droppedSpans: Counter<'exporter' | 'reason'>;
  readonly queueBytes: Gauge<'exporter'>;
  readonly queueCapacityBytes: Gauge<'exporter'>;
  readonly storeEvictedTraces: Counter;
  readonly spanVersions: Counter<'outcome'>;
  readonly ledgerBytes: Gauge;
  readonly ledgerCapacityBytes: Gauge;
  readonly ledgerEvictedTraces: Counter;
  readonly spoolBytes: Gauge;
  readonly spoolCapacityBytes: Gauge;
  readonly spoolTruncatedBytes: Counter;
  readonly spoolCorruptRecords: Counter;
  readonly spoolReplayedSpans: Counter<'exporter'>;
  readonly spoolBacklogSpans: Gauge<'exporter'>;
  readonly consumerErrors: Counter<'consumer'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.receivedTraces = new Counter({
      name: 'a2a_collector_received_traces_total',
      help: 'ResponseTraces accepted by ingest.',
      registers,
    });
    this.receivedSteps = new Counter({
      name: 'a2a_collector_received_steps_total',
      help: 'Steps accepted by ingest (nested steps included).',
      registers,
    });
    this.rejectedRequests = new Counter({
      name: 'a2a_collector_rejected_requests_total',
      help: 'Ingest requests refused, by reason.',
      labelNames: ['reason'],
      registers,
    });
    // Every reason from 0, so that `increase()` in an alert sees the first refusal of a process too.
    for (const reason of REJECT_REASONS) this.rejectedRequests.inc({ reason }, 0);
    this.exportedSpans = new Counter({
      name: 'a2a_collector_exported_spans_total',
      help: 'Spans an exporter delivered.',
      labelNames: ['exporter'],
      registers,
    });
    this.exportFailures = new Counter({
      name: 'a2a_collector_export_failures_total',
      help: 'Failed export attempts (each retry counts).',
      labelNames: ['exporter'],
      registers,
    });
    this.droppedSpans = new Counter({
      name: 'a2a_collector_dropped_spans_total',
      help: 'Accepted spans an exporter gave up on, by reason.',
      labelNames: ['exporter', 'reason'],
      registers,
    });
    this.queueBytes = new Gauge({
      name: 'a2a_collector_queue_bytes',
      help: 'Estimated bytes of spans waiting in an exporter queue.',
      labelNames: ['exporter'],
      registers,
    });
    this.queueCapacityBytes = new Gauge({
      name: 'a2a_collector_queue_capacity_bytes',
      help: 'Configured capacity of an exporter queue.',
      labelNames: ['exporter'],
      registers,
    });
    this.storeEvictedTraces = new Counter({
      name: 'a2a_collector_store_evicted_traces_total',
      help: 'Traces evicted from the embedded store to stay within its bounds.',
      registers,
    });
    this.spanVersions = new Counter({
      name: 'a2a_collector_span_versions_total',
      help: 'Accepted spans by what the counted-once ledger knew of them: new, changed (exported and counted again, by their change only) or unchanged (neither).',
      labelNames: ['outcome'],
      registers,
    });
    this.ledgerBytes = new Gauge({
      name: 'a2a_collector_ledger_bytes',
      help: 'Estimated bytes of the counted-once ledger.',
      registers,
    });
    this.ledgerCapacityBytes = new Gauge({
      name: 'a2a_collector_ledger_capacity_bytes',
      help: 'Configured bound of the counted-once ledger (accounting.ledger_max_bytes).',
      registers,
    });
    this.ledgerEvictedTraces = new Counter({
      name: 'a2a_collector_ledger_evicted_traces_total',
      help: 'Traces the counted-once ledger forgot to stay within its bound; a copy arriving after that is counted again.',
      registers,
    });
    this.spoolBytes = new Gauge({
      name: 'a2a_collector_spool_bytes',
      help: 'Bytes of the durable spool on disk (records some exporter may not have delivered yet).',
      registers,
    });
    this.spoolCapacityBytes = new Gauge({
      name: 'a2a_collector_spool_capacity_bytes',
      help: 'Configured bound of the durable spool (spool.max_bytes).',
      registers,
    });
    this.spoolTruncatedBytes = new Counter({
      name: 'a2a_collector_spool_truncated_bytes_total',
      help: 'Bytes of a torn record cut off the spool at start (a crash during a write; that request was never answered 202).',
      registers,
    });
    this.spoolCorruptRecords = new Counter({
      name: 'a2a_collector_spool_corrupt_records_total',
      help: 'Spool records skipped at start because their checksum or content did not read back.',
      registers,
    });
    this.spoolReplayedSpans = new Counter({
      name: 'a2a_collector_spool_replayed_spans_total',
      help: 'Spans an exporter had not delivered before a restart, taken back from the spool to be sent again (delivery is at least once).',
      labelNames: ['exporter'],
      registers,
    });
    this.consumerErrors = new Counter({
      name: 'a2a_collector_consumer_errors_total',
      help: 'Failures after acceptance, a bug: an exporter-only in-process consumer that threw on accepted spans (they stay accepted, spooled and exported), or span metrics that refused what the ledger settled on its own (quiet or forgotten traces).',
      labelNames: ['consumer'],
      registers,
    });
    this.spoolBacklogSpans = new Gauge({
      name: 'a2a_collector_spool_backlog_spans',
      help: "Accepted spans waiting for an exporter on disk only: its queue was full (a slow or down backend), or they were accepted before a restart. They are read back as the queue drains.",
      labelNames: ['exporter'],
      registers,
    });
    this.inFlightBodyBytes = new Gauge({
      name: 'a2a_collector_in_flight_body_bytes',
      help: 'Bytes of the ingest request bodies being read now (bounded by server.max_in_flight_body_bytes).',
      registers,
    });
    this.refusedConnections = new Counter({
      name: 'a2a_collector_refused_connections_total',
      help: 'Connections to the collector closed as soon as accepted because server.max_connections were open.',
      registers,
    });
    this.receivedOtlpSpans = new Counter({
      name: 'a2a_collector_received_otlp_spans_total',
      help: 'Spans accepted by the OTLP receiver, by protocol (http, grpc).',
      labelNames: ['protocol'],
      registers,
    });
    this.rejectedOtlpSpans = new Counter({
      name: 'a2a_collector_rejected_otlp_spans_total',
      help: 'Spans the OTLP receiver rejected on their own (malformed ids or values) while taking the rest of their request, as partialSuccess.rejectedSpans reports them, by protocol.',
      labelNames: ['protocol'],
      registers,
    });
    for (const protocol of ['http', 'grpc']) {
      this.receivedOtlpSpans.inc({ protocol }, 0);
      this.rejectedOtlpSpans.inc({ protocol }, 0);
    }
    this.storeDroppedSpans = new Counter({
      name: 'a2a_collector_store_dropped_spans_total',
      help: 'Spans the embedded store dropped, oldest first, from a trace it keeps: over its spans per trace, or alone over store.max_bytes.',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Bytes of the ingest bodies being read now. */
  readonly inFlightBodyBytes: Gauge;
  /** Spans the OTLP receiver accepted, by protocol (`http`, `grpc`). */
  readonly receivedOtlpSpans: Counter<'protocol'>;
  /** Spans the OTLP receiver rejected alone (`partialSuccess.rejectedSpans`), by protocol. */
  readonly rejectedOtlpSpans: Counter<'protocol'>;
  /** Connections closed at once because `server.max_connections` were open. */
  readonly refusedConnections: Counter;
  /** Spans the embedded store dropped from a trace it keeps (`trace_span_limit`: over its spans per trace; `store_bytes`: alone over `store.max_bytes`). */
  readonly storeDroppedSpans: Counter<'reason'>;
}
