/**
 * @module Reads the answer to an agent-card request and returns it with its endpoint URLs moved to
 * the proxy (agent-card-rewrite.ts). Holds the body (bounded), decodes a content-coded one, and
 * sends it uncoded once rewritten; whatever it cannot or must not rewrite (signed, `no-transform`,
 * too large, not JSON) goes on exactly as the agent sent it, headers and bytes.
 */
import { isStackOverflow } from '../../src/model/json-value.js';
import { extractTraces, type Extraction } from '../../src/a2a/extract-traces.js';
import { rewriteAgentCard } from './agent-card-rewrite.js';
import type { ByteBudget } from '../../src/http/byte-budget.js';
import { decodeBody } from './content-codings.js';
import { HeldBody, type HoldRefusal } from './held-body.js';
import { firstLossyNumber } from './json-number-fidelity.js';
import type { CardRewriteSkipReason, IngestFailureReason } from './proxy-metrics.js';
import { headerValues, withHeader, withListMember, withoutHeader, type RawHeaders } from './raw-headers.js';
import type { InspectionResult, ResponseInspector } from './response-inspectors.js';

/** Fields that describe the agent's bytes, wrong for the rewritten ones (RFC 9530 digests, RFC 1864 `Content-MD5`). */
const BYTE_DIGEST_FIELDS = ['Content-Digest', 'Repr-Digest', 'Digest', 'Content-MD5'] as const;

/** How an agent-card answer is read. */
export interface AgentCardInspectorOptions {
  /** Shared bound of bytes held by all responses. */
  readonly budget: ByteBudget;
  /** Largest body held, coded or decoded, in bytes (`server.max_body_bytes`). */
  readonly maxBodyBytes: number;
  /** The answer's content codings, outermost last (see content-codings.ts). */
  readonly codings: readonly string[];
  /** The answer forbids proxies to transform it (`Cache-Control: no-transform`). */
  readonly noTransform: boolean;
  /** The rewritten card depends on `X-Forwarded-Host` / `X-Forwarded-Proto`: say so in `Vary`. */
  readonly varyOnForwarded: boolean;
  /** The URL the proxy answers for an endpoint URL of the agent; undefined: it is not the agent's. */
  readonly move: (url: string) => string | undefined;
}

/** What became of the card; known after {@link AgentCardInspector.end}. */
export type CardOutcome =
  | { readonly kind: 'rewritten'; readonly rewrittenUrls: number }
  | { readonly kind: 'skipped'; readonly reason: CardRewriteSkipReason };

/**
 * An inspector in transform mode (the proxy sends what it returns): holds the whole body, and at
 * its end returns the rewritten card or the body as it came. {@link headersFor} gives the headers
 * that go with it.
 */
export class AgentCardInspector implements ResponseInspector {
  private readonly body: HeldBody;
  private isStopped = false;
  private extraction: Extraction | undefined;
  private readonly failures = new Set<IngestFailureReason>();
  private cardOutcome: CardOutcome | undefined;
  private decodedLength = 0;

  constructor(private readonly options: AgentCardInspectorOptions) {
    this.body = new HeldBody(options.budget, options.maxBodyBytes);
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Bytes inflated from a content-coded body (0 for an uncoded one). */
  get decodedBytes(): number {
    return this.decodedLength;
  }

  /** What became of the card; undefined until the body ended (or when it was cut). */
  get outcome(): CardOutcome | undefined {
    return this.cardOutcome;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.isStopped) return [chunk];
    const refusal = this.body.hold(chunk);
    return refusal === undefined ? [] : this.giveUp(refusal, chunk);
  }

  end(): Buffer[] {
    if (this.isStopped) return [];
    this.isStopped = true;
    const body = this.body.take();
    const rewritten = this.rewrite(body);
    return [rewritten ?? body];
  }

  abort(): void {
    this.isStopped = true;
    this.body.discard();
  }

  result(): InspectionResult {
    this.body.release();
    return {
      extraction: this.extraction,
      failures: [...this.failures],
      peakBufferedBytes: this.body.peakBytes,
      strippedPlacements: 0,
      stripSkipped: [],
    };
  }

  /**
   * The answer's headers for what {@link end} returned: unchanged unless the card was rewritten;
   * then without `Content-Encoding` (when it was decoded) and byte digests, with a weak `ETag`
   * (RFC 9110 §8.8.1: the agent's tag now names other bytes, yet a conditional request the proxy
   * forwards still matches it, weakly), and `Vary` naming the forwarded fields the URLs came from.
   * The caller sets `Content-Length`.
   */
  headersFor(headers: RawHeaders): string[] {
    const outcome = this.cardOutcome;
    let result = [...headers];
    if (outcome?.kind !== 'rewritten') return result;
    if (this.options.codings.length > 0) result = withoutHeader(result, 'Content-Encoding');
    for (const field of BYTE_DIGEST_FIELDS) result = withoutHeader(result, field);
    const etag = headerValues(result, 'etag').at(-1)?.trim();
    if (etag !== undefined && !etag.startsWith('W/')) result = withHeader(result, 'ETag', `W/${etag}`);
    if (this.options.varyOnForwarded) result = withListMember(withListMember(result, 'Vary', 'X-Forwarded-Host'), 'Vary', 'X-Forwarded-Proto');
    return result;
  }

  /** The rewritten body, or undefined (with the reason in {@link outcome}) when it goes on as it came. */
  private rewrite(body: Buffer): Buffer | undefined {
    let decoded = body;
    if (this.options.codings.length > 0) {
      const result = decodeBody(this.options.codings, body, this.options.maxBodyBytes);
      if (typeof result === 'string') return this.skip(result, result);
      decoded = result;
      this.decodedLength = result.length;
    }
    const text = decoded.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.skip('invalid_json', 'invalid_json');
    }
    try {
      this.extraction = extractTraces(value);
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      this.failures.add('nesting_too_deep');
    }
    if (this.options.noTransform) return this.skip('no_transform');
    const rewrite = rewriteAgentCard(value, this.options.move);
    if (rewrite.kind !== 'rewritten') return this.skip(rewrite.kind);
    if (firstLossyNumber(text) !== undefined) return this.skip('lossy_numbers');
    let output: Buffer;
    try {
      output = Buffer.from(JSON.stringify(rewrite.value), 'utf8');
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      return this.skip('nesting_too_deep');
    }
    this.cardOutcome = { kind: 'rewritten', rewrittenUrls: rewrite.rewrittenUrls };
    return output;
  }

  private skip(reason: CardRewriteSkipReason, failure?: IngestFailureReason): undefined {
    this.cardOutcome = { kind: 'skipped', reason };
    if (failure !== undefined) this.failures.add(failure);
    return undefined;
  }

  /** Stops holding: the body goes on unread, as it came. */
  private giveUp(reason: HoldRefusal, chunk: Buffer): Buffer[] {
    this.isStopped = true;
    this.skip(reason, reason);
    return [...this.body.letGo(), chunk];
  }
}
