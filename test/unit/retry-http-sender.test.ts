/**
 * The HTTP sender's half of the retry table, against a real local node:http server: each status,
 * `Retry-After`, and the request errors Node really produces (refused, hang up, no answer).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ExportFailure, type ExportOutcome } from '../../src/fan-out/export-outcome.js';
import { postExportRequest } from '../../src/fan-out/http-export-sender.js';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The outcome reduced to what the retry layer reads. */
function summary(outcome: ExportOutcome): { kind: string; statusCode?: number | undefined; retryAfterMillis?: number | undefined } {
  if (outcome.kind === 'success') return { kind: 'success' };
  const statusCode = outcome.error instanceof ExportFailure ? outcome.error.statusCode : undefined;
  return outcome.kind === 'retryable' ? { kind: outcome.kind, statusCode, retryAfterMillis: outcome.retryAfterMillis } : { kind: outcome.kind, statusCode };
}

describe('postExportRequest: answers', () => {
  // The path says what to answer: /<status>[/<retry-after>].
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const [, status, retryAfter] = (request.url ?? '').split('/');
      const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': decodeURIComponent(retryAfter) };
      response.writeHead(Number(status), headers).end(Number(status) >= 300 ? 'backend says no' : '');
    });
  });
  let base = '';
  before(async () => (base = await listen(server)));
  after(() => close(server));

  const cases: Array<[string, ReturnType<typeof summary>]> = [
    ['200', { kind: 'success' }],
    ['202', { kind: 'success' }],
    ['204', { kind: 'success' }],
    ['302', { kind: 'permanent', statusCode: 302 }],
    ['400', { kind: 'permanent', statusCode: 400 }],
    ['401', { kind: 'permanent', statusCode: 401 }],
    ['403', { kind: 'permanent', statusCode: 403 }],
    ['404', { kind: 'permanent', statusCode: 404 }],
    ['408', { kind: 'permanent', statusCode: 408 }],
    ['413', { kind: 'permanent', statusCode: 413 }],
    ['500', { kind: 'permanent', statusCode: 500 }],
    ['501', { kind: 'permanent', statusCode: 501 }],
    ['429', { kind: 'retryable', statusCode: 429, retryAfterMillis: undefined }],
    ['429/7', { kind: 'retryable', statusCode: 429, retryAfterMillis: 7_000 }],
    ['502', { kind: 'retryable', statusCode: 502, retryAfterMillis: undefined }],
    ['503/1', { kind: 'retryable', statusCode: 503, retryAfterMillis: 1_000 }],
    ['503/soon', { kind: 'retryable', statusCode: 503, retryAfterMillis: undefined }],
    [`503/${encodeURIComponent('Thu, 01 Jan 1970 00:00:00 GMT')}`, { kind: 'retryable', statusCode: 503, retryAfterMillis: 0 }],
    ['504', { kind: 'retryable', statusCode: 504, retryAfterMillis: undefined }],
    ['400/5', { kind: 'permanent', statusCode: 400 }],
  ];
  for (const [path, expected] of cases) {
    it(`${path} -> ${expected.kind}`, async () => {
      const answer = await postExportRequest({ url: `${base}/${path}`, headers: {}, body: new Uint8Array([1, 2, 3]), timeoutMillis: 5_000 });
      assert.deepEqual(summary(answer.outcome), expected);
    });
  }

  it('quotes the status and the start of the body in the error message', async () => {
    const { outcome } = await postExportRequest({ url: `${base}/400`, headers: {}, body: new Uint8Array(), timeoutMillis: 5_000 });
    assert.equal(outcome.kind === 'success' ? '' : outcome.error.message, `${new URL(base).host} answered 400 Bad Request: backend says no`);
  });
});

describe('postExportRequest: no answer', () => {
  it('a refused connection is retryable, and keeps Node’s error as the cause', async () => {
    const server = createServer();
    const base = await listen(server);
    await close(server);
    const { outcome } = await postExportRequest({ url: base, headers: {}, body: new Uint8Array(), timeoutMillis: 5_000 });
    assert.equal(outcome.kind, 'retryable');
    assert.equal(((outcome.kind === 'retryable' ? outcome.error.cause : undefined) as { code?: string } | undefined)?.code, 'ECONNREFUSED');
  });

  it('a socket hang up is retryable', async () => {
    const server = createServer((request) => request.socket.destroy());
    const base = await listen(server);
    const { outcome } = await postExportRequest({ url: base, headers: {}, body: new Uint8Array([1]), timeoutMillis: 5_000 });
    await close(server);
    assert.equal(outcome.kind, 'retryable');
    assert.equal(outcome.kind === 'retryable' ? outcome.error.message : '', 'socket hang up');
  });

  it('a backend that does not answer within the timeout is retryable', async () => {
    const server = createServer(() => {});
    const base = await listen(server);
    const { outcome } = await postExportRequest({ url: base, headers: {}, body: new Uint8Array([1]), timeoutMillis: 30 });
    server.closeAllConnections();
    await close(server);
    assert.equal(outcome.kind, 'retryable');
    assert.equal(outcome.kind === 'retryable' ? outcome.error.message : '', `${new URL(base).host} did not answer within 30 ms`);
  });
});
