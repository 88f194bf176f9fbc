/**
 * @module The OTLP intake: spans from agents that run OpenTelemetry, settled as A2A steps are
 * (DESIGN §10, accounting) and handed to the same counted-once consumer. A span passes through as it
 * came; only attributes are added, and only to GenAI spans: the step kind (`a2a.step.kind`), the cost
 * as reported or priced from its tokens and model (`a2a.step.cost`, `a2a.cost.source`), its exclusive
 * share (`a2a.step.cost.exclusive`, `a2a.step.total_tokens.exclusive`), and, for tokens no price
 * covers, the model left unpriced (`a2a.cost.unpriced_model`).
 *
 * The exclusive rule is the one of A2A steps (DESIGN §3): an `invoke_agent` span that reports the
 * sum of its `chat` children keeps only what is left. A span's children are those of the same request
 * and those remembered from earlier ones (BatchSpanProcessor exports children, which end first, in an
 * earlier batch than their parent as often as not); the memory is bounded, oldest first. A child that
 * arrives after its parent was counted cannot take its share back from it: the parent was exported.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';
import { exclusiveShare, RoundedSum, type CostMode } from '../model/cost-arithmetic.js';
import * as names from '../mapping/attribute-names.js';
import { decodeTracesProtobuf, type DecodedTraces, type OtlpSpan } from '../otlp/otlp-decode.js';
import { encodeTraceExportRequest } from '../otlp/otlp-encode.js';
import type { PriceTable } from './pricing/price-table.js';
import type { IntakeConsumer } from './counted-once-ledger.js';
import { readGenAiUsage, type GenAiUsage } from './gen-ai-usage.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';

/** Default bound of the children remembered across requests. */
const DEFAULT_REMEMBERED_CHILDREN = 100_000;

/** Settings of the OTLP intake. */
export interface OtlpIntakeOptions {
  readonly costMode: CostMode;
  /** Currency of reported costs (`mapping.currency`). */
  readonly currency: string;
  /** The price table in force (it may be re-read while the collector runs). */
  readonly prices: () => PriceTable;
  /** Most child spans remembered for parents still to come. Default 100,000. */
  readonly maxRememberedChildren?: number;
}

/** What an export request got: `partialSuccess` when spans were rejected. */
export interface OtlpAnswer {
  readonly acceptedSpans: number;
  readonly rejectedSpans: number;
  /** Every rejected span's path and reason, `; `-separated (bounded); '' when none was. */
  readonly errorMessage: string;
}

/** A span's figures as its parent sees them: inclusive, own or of its subtree. */
interface Figures {
  readonly cost: number | undefined;
  readonly tokens: number | undefined;
  readonly input: number | undefined;
  readonly output: number | undefined;
  readonly cacheRead: number | undefined;
  readonly cacheWrite: number | undefined;
}

const NO_FIGURES: Figures = { cost: undefined, tokens: undefined, input: undefined, output: undefined, cacheRead: undefined, cacheWrite: undefined };
const FIGURE_KEYS = ['cost', 'tokens', 'input', 'output', 'cacheRead', 'cacheWrite'] as const;

function keyOf(traceId: string, spanId: string): string {
  return `${traceId}:${spanId}`;
}

/** Sums of the children's figures; undefined where no child has the figure. */
function sumOf(children: Iterable<Figures>): Figures {
  const sums = new Map<keyof Figures, RoundedSum>();
  for (const child of children) {
    for (const key of FIGURE_KEYS) {
      const value = child[key];
      if (value === undefined) continue;
      let sum = sums.get(key);
      if (sum === undefined) sums.set(key, (sum = new RoundedSum()));
      sum.add(value);
    }
  }
  const value = (key: keyof Figures): number | undefined => sums.get(key)?.value;
  return { cost: value('cost'), tokens: value('tokens'), input: value('input'), output: value('output'), cacheRead: value('cacheRead'), cacheWrite: value('cacheWrite') };
}

function plus(own: number | undefined, children: number | undefined): number | undefined {
  if (own === undefined) return children;
  if (children === undefined) return own;
  const sum = new RoundedSum();
  sum.add(own);
  sum.add(children);
  return sum.value;
}

/** Children remembered from earlier requests, by parent, bounded in entries (oldest parent first). */
class RememberedChildren {
  private readonly byParent = new Map<string, Map<string, Figures>>();
  private size = 0;

  constructor(private readonly maxEntries: number) {}

  of(parentKey: string): ReadonlyMap<string, Figures> | undefined {
    return this.byParent.get(parentKey);
  }

  remember(parentKey: string, spanId: string, figures: Figures): void {
    let children = this.byParent.get(parentKey);
    if (children === undefined) this.byParent.set(parentKey, (children = new Map<string, Figures>()));
    if (!children.has(spanId)) this.size++;
    children.set(spanId, figures);
    for (const [key, oldest] of this.byParent) {
      if (this.size <= this.maxEntries || key === parentKey) break;
      this.byParent.delete(key);
      this.size -= oldest.size;
    }
  }
}

/** Spans in an order where every span comes after its children in the same list (cycles broken anywhere). */
function childrenFirst(spans: readonly OtlpSpan[], children: ReadonlyMap<string, OtlpSpan[]>): OtlpSpan[] {
  const pending = new Map<OtlpSpan, number>();
  const byKey = new Map<string, OtlpSpan>();
  for (const span of spans) byKey.set(keyOf(span.spanContext().traceId, span.spanContext().spanId), span);
  const ready: OtlpSpan[] = [];
  for (const span of spans) {
    const count = children.get(keyOf(span.spanContext().traceId, span.spanContext().spanId))?.length ?? 0;
    pending.set(span, count);
    if (count === 0) ready.push(span);
  }
  const ordered: OtlpSpan[] = [];
  const done = new Set<OtlpSpan>();
  const take = (span: OtlpSpan): void => {
    if (done.has(span)) return;
    done.add(span);
    ordered.push(span);
    const parentId = span.parentSpanContext?.spanId;
    const parent = parentId === undefined ? undefined : byKey.get(keyOf(span.spanContext().traceId, parentId));
    if (parent === undefined) return;
    const left = (pending.get(parent) ?? 1) - 1;
    pending.set(parent, left);
    if (left === 0) ready.push(parent);
  };
  while (ready.length > 0) take(ready.pop() as OtlpSpan);
  // What is left is in a cycle (a span its own ancestor): taken in arrival order.
  for (const span of spans) if (!done.has(span)) take(span);
  while (ready.length > 0) take(ready.pop() as OtlpSpan);
  return ordered;
}

/** Turns decoded OTLP requests into settled spans in the pipeline. */
export class OtlpIntake {
  private readonly remembered: RememberedChildren;

  constructor(
    private readonly consumer: IntakeConsumer,
    private readonly options: OtlpIntakeOptions,
    private readonly metrics: SelfMetrics,
  ) {
    this.remembered = new RememberedChildren(options.maxRememberedChildren ?? DEFAULT_REMEMBERED_CHILDREN);
  }

  /**
   * Settles the spans of one request and hands them to the pipeline, all or none.
   * @throws CollectorError `A2A_ERR_QUEUE_FULL` / `A2A_ERR_SPOOL_FULL` when the pipeline has no room (nothing is taken).
   */
  ingest(decoded: DecodedTraces, protocol: 'http' | 'grpc'): OtlpAnswer {
    const { spans, rejected } = decoded;
    const remember = this.settle(spans);
    if (spans.length > 0) {
      this.consumer.consume(spans, {
        toRecord: (taken) => Buffer.from(encodeTraceExportRequest(taken === undefined ? spans : taken.map((index) => spans[index] as OtlpSpan))),
      });
    }
    // Only once the spans are taken: a refused request leaves no trace in the memory either.
    remember();
    this.metrics.receivedOtlpSpans.inc({ protocol }, spans.length);
    if (rejected.count > 0) this.metrics.rejectedOtlpSpans.inc({ protocol }, rejected.count);
    return {
      acceptedSpans: spans.length,
      rejectedSpans: rejected.count,
      errorMessage: rejected
        .toArray()
        .map((issue) => (issue.path === '' ? issue.reason : `${issue.path}: ${issue.reason}`))
        .join('; '),
    };
  }

  /** Resolves once everything accepted so far is durable; callers answer only after it. */
  durable(): Promise<void> {
    return this.consumer.durable();
  }

  /**
   * The spans a spool record holds: the settled spans as they were accepted, attributes added
   * included. Their figures are remembered again for parents still to come.
   */
  spansOfRecord(payload: Buffer): ReadableSpan[] {
    const { spans } = decodeTracesProtobuf(payload);
    for (const span of spans) {
      const parentId = span.parentSpanContext?.spanId;
      const a = span.attributes;
      const cost = typeof a[names.ATTR_STEP_COST] === 'number' ? (a[names.ATTR_STEP_COST]) : undefined;
      const usage = readGenAiUsage(a);
      if (parentId !== undefined && (cost !== undefined || usage.total !== undefined)) {
        const { traceId, spanId } = span.spanContext();
        this.remembered.remember(keyOf(traceId, parentId), spanId, {
          cost,
          tokens: usage.total,
          input: usage.input,
          output: usage.output,
          cacheRead: usage.cacheRead,
          cacheWrite: usage.cacheWrite,
        });
      }
    }
    return spans;
  }

  /** Adds the accounting attributes to `spans`, children first; returns what to remember once they are taken. */
  private settle(spans: readonly OtlpSpan[]): () => void {
    const children = new Map<string, OtlpSpan[]>();
    for (const span of spans) {
      const parentId = span.parentSpanContext?.spanId;
      if (parentId === undefined) continue;
      const key = keyOf(span.spanContext().traceId, parentId);
      const list = children.get(key);
      if (list === undefined) children.set(key, [span]);
      else list.push(span);
    }
    const figures = new Map<string, Figures>();
    const memories: Array<[string, string, Figures]> = [];
    for (const span of childrenFirst(spans, children)) {
      const { traceId, spanId } = span.spanContext();
      const key = keyOf(traceId, spanId);
      const inRequest = children.get(key) ?? [];
      const childFigures: Figures[] = [];
      const seen = new Set<string>();
      for (const child of inRequest) {
        const childId = child.spanContext().spanId;
        if (seen.has(childId)) continue;
        seen.add(childId);
        childFigures.push(figures.get(keyOf(traceId, childId)) ?? NO_FIGURES);
      }
      for (const [childId, remembered] of this.remembered.of(key) ?? []) if (!seen.has(childId)) childFigures.push(remembered);
      const own = this.account(span, readGenAiUsage(span.attributes), sumOf(childFigures));
      figures.set(key, own);
      const parentId = span.parentSpanContext?.spanId;
      if (parentId !== undefined && (own.cost !== undefined || own.tokens !== undefined)) memories.push([keyOf(traceId, parentId), spanId, own]);
    }
    return () => {
      for (const [parentKey, spanId, own] of memories) this.remembered.remember(parentKey, spanId, own);
    };
  }

  /** Writes the span's accounting attributes; returns its inclusive figures for its parent. */
  private account(span: OtlpSpan, usage: GenAiUsage, children: Figures): Figures {
    const a: Attributes = span.attributes;
    const mode = this.options.costMode;
    if (usage.kind !== undefined && a['a2a.step.kind' satisfies typeof names.ATTR_STEP_KIND] === undefined) a['a2a.step.kind' satisfies typeof names.ATTR_STEP_KIND] = usage.kind;
    if (usage.input !== undefined && a['gen_ai.usage.input_tokens' satisfies typeof names.ATTR_GEN_AI_USAGE_INPUT_TOKENS] === undefined) a['gen_ai.usage.input_tokens' satisfies typeof names.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.input;
    if (usage.output !== undefined && a['gen_ai.usage.output_tokens' satisfies typeof names.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] === undefined) a['gen_ai.usage.output_tokens' satisfies typeof names.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output;

    let exclusiveTokens: number | undefined;
    if (usage.total !== undefined) {
      exclusiveTokens = exclusiveShare(usage.total, children.tokens ?? 0, mode);
      a['a2a.step.total_tokens' satisfies typeof names.ATTR_STEP_TOTAL_TOKENS] = usage.total;
      a['a2a.step.total_tokens.exclusive' satisfies typeof names.ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE] = exclusiveTokens;
    }

    let cost: number | undefined;
    if (usage.cost !== undefined) {
      cost = usage.cost;
      a['a2a.step.cost' satisfies typeof names.ATTR_STEP_COST] = cost;
      a['a2a.step.cost.exclusive' satisfies typeof names.ATTR_STEP_COST_EXCLUSIVE] = exclusiveShare(cost, children.cost ?? 0, mode);
      a['a2a.cost.currency' satisfies typeof names.ATTR_COST_CURRENCY] = this.options.currency;
      a['a2a.cost.source' satisfies typeof names.ATTR_COST_SOURCE] = 'reported';
    } else if (usage.model !== undefined && (usage.input !== undefined || usage.output !== undefined)) {
      // Only the span's own tokens are priced: those its children report are theirs to price.
      const own = (value: number | undefined, childSum: number | undefined): number | undefined =>
        value === undefined ? undefined : exclusiveShare(value, childSum ?? 0, mode);
      const table = this.options.prices();
      const quote = table.price(usage.model, {
        input: own(usage.input, children.input),
        output: own(usage.output, children.output),
        cacheRead: own(usage.cacheRead, children.cacheRead),
        cacheWrite: own(usage.cacheWrite, children.cacheWrite),
      });
      if (quote !== undefined) {
        cost = plus(quote.cost, children.cost);
        a['a2a.step.cost' satisfies typeof names.ATTR_STEP_COST] = cost;
        a['a2a.step.cost.exclusive' satisfies typeof names.ATTR_STEP_COST_EXCLUSIVE] = quote.cost;
        a['a2a.cost.currency' satisfies typeof names.ATTR_COST_CURRENCY] = quote.currency;
        a['a2a.cost.source' satisfies typeof names.ATTR_COST_SOURCE] = 'computed';
        a['a2a.cost.price_rule' satisfies typeof names.ATTR_COST_PRICE_RULE] = quote.rule;
        a['a2a.cost.price_as_of' satisfies typeof names.ATTR_COST_PRICE_AS_OF] = quote.asOf;
      }
    }
    if (cost === undefined && exclusiveTokens !== undefined && exclusiveTokens > 0) a['a2a.cost.unpriced_model' satisfies typeof names.ATTR_COST_UNPRICED_MODEL] = usage.model ?? '';

    return {
      // A span without figures of its own stands for its subtree, so a grandparent's rule sees them.
      cost: cost ?? children.cost,
      tokens: usage.total ?? children.tokens,
      input: usage.input ?? children.input,
      output: usage.output ?? children.output,
      cacheRead: usage.cacheRead ?? children.cacheRead,
      cacheWrite: usage.cacheWrite ?? children.cacheWrite,
    };
  }
}
