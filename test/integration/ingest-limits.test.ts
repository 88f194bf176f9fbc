/**
 * The collector's listener against clients that hold it: headers that never finish, bodies that
 * never finish, more connections than allowed, and uploads that stall while holding body bytes.
 * Raw sockets, so that every byte (and every missing one) is the test's choice.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { builtInExporterFactories } from '../../exporters/index.js';
import type { Collector } from '../../src/collector.js';
import { validateConfig } from '../../src/config/load-config.js';
import { eventually } from '../helpers/backends.js';
import { createTestCollector } from '../helpers/collector-harness.js';

async function startCollector(server: Record<string, unknown>): Promise<{ collector: Collector; port: number; url: string }> {
  const { collector } = createTestCollector({ server: { port: 0, ...server } });
  const address = await collector.start();
  return { collector, port: address.port, url: address.url };
}

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Resolves once the socket is closed, with every byte it received. */
function untilClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

/** Resolves with the first whole response the socket receives (status line, headers and a Content-Length body). */
function firstResponse(socket: Socket): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString();
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers = received.slice(0, end);
      const length = Number(/^content-length: *(\d+)/im.exec(headers)?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      socket.off('data', onData);
      resolve({ status: Number(headers.slice(9, 12)), headers, body: received.slice(end + 4, end + 4 + length) });
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before a whole response: ${JSON.stringify(received)}`)));
  });
}

const trace = (id: string): string => JSON.stringify({ trace_id: id, steps: [{ step_id: 's', call_type: 'TOOL', name: 'x' }] });

/** A JSON body of exactly `bytes` bytes holding one trace (padded with spaces). */
function paddedTrace(id: string, bytes: number): string {
  const text = trace(id);
  return text + ' '.repeat(bytes - Buffer.byteLength(text));
}

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe('collector listener limits', () => {
  const collectors: Collector[] = [];
  after(async () => {
    for (const collector of collectors) await collector.shutdown();
  });

  it('closes a client that never finishes its headers after server.headers_timeout_millis, with 408', { timeout: 10_000 }, async () => {
    const { collector, port } = await startCollector({ headers_timeout_millis: 200, request_timeout_millis: 400 });
    collectors.push(collector);
    const socket = await open(port);
    const closed = untilClosed(socket);
    socket.write('POST /v1/a2a/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/');
    assert.match(await closed, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('closes a client whose body never finishes after server.request_timeout_millis, and releases its body bytes', { timeout: 10_000 }, async () => {
    const { collector, port, url } = await startCollector({ headers_timeout_millis: 200, request_timeout_millis: 400 });
    collectors.push(collector);
    const socket = await open(port);
    const closed = untilClosed(socket);
    socket.write('POST /v1/a2a/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"trace_id"');
    await eventually(async () => ((await metric(url, 'a2a_collector_in_flight_body_bytes')) === 1000 ? true : undefined), 5000, 10);
    await closed;
    assert.equal(await metric(url, 'a2a_collector_in_flight_body_bytes'), 0);
  });

  it('closes connections past server.max_connections as soon as they are accepted, and counts them', { timeout: 10_000 }, async () => {
    const { collector, port, url } = await startCollector({ max_connections: 2 });
    collectors.push(collector);
    const first = await open(port);
    const second = await open(port);
    // Both are served (and so counted by the server) before the third arrives.
    for (const socket of [first, second]) {
      const answered = firstResponse(socket);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await answered).status, 200);
    }
    const third = await open(port);
    const closed = untilClosed(third);
    third.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(await closed, '');
    // Read in process: a request over a socket could itself be refused.
    const text = await (await collector.app.request('/metrics')).text();
    assert.match(text, /^a2a_collector_refused_connections_total 1$/m);
    first.destroy();
    second.destroy();
    await eventually(async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined), 5000, 10);
  });

  it('bounds the bytes of all bodies in flight: 503 with Retry-After before the body is read, 413 alone, released on end and on abort', { timeout: 10_000 }, async () => {
    const { collector, port, url } = await startCollector({ max_in_flight_body_bytes: 1000 });
    collectors.push(collector);
    const headers = (length: number): string => `POST /v1/a2a/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

    // A stalled upload holds the 600 bytes it declared.
    const stalled = await open(port);
    stalled.write(`${headers(600)}{"trace_id"`);
    await eventually(async () => ((await metric(url, 'a2a_collector_in_flight_body_bytes')) === 600 ? true : undefined), 5000, 10);

    // Another 600 do not fit: refused before a byte of the body is sent.
    const refused = await open(port);
    const busy = firstResponse(refused);
    refused.write(headers(600));
    const answer = await busy;
    assert.equal(answer.status, 503);
    assert.match(answer.headers, /^retry-after: 1$/im);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'A2A_ERR_QUEUE_FULL');
    refused.destroy();

    // One body larger than the whole budget can never fit: 413.
    const huge = await open(port);
    const tooLarge = firstResponse(huge);
    huge.write(headers(2000));
    assert.equal((await tooLarge).status, 413);
    huge.destroy();

    // A chunked body is held chunk by chunk: 500 more bytes do not fit next to the 600.
    const chunked = await open(port);
    const chunkedAnswer = firstResponse(chunked);
    chunked.write(`POST /v1/a2a/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1f4\r\n${' '.repeat(500)}\r\n`);
    assert.equal((await chunkedAnswer).status, 503);
    chunked.destroy();
    assert.equal(await metric(url, 'a2a_collector_in_flight_body_bytes'), 600);

    // The stalled client goes away: its bytes are released.
    stalled.destroy();
    await eventually(async () => ((await metric(url, 'a2a_collector_in_flight_body_bytes')) === 0 ? true : undefined), 5000, 10);

    // Bodies that end release theirs: two 600-byte bodies one after the other both fit.
    for (const id of ['after-abort-1', 'after-abort-2']) {
      const response = await fetch(`${url}/v1/a2a/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: paddedTrace(id, 600) });
      assert.equal(response.status, 202);
    }
    assert.equal(await metric(url, 'a2a_collector_in_flight_body_bytes'), 0);
    assert.equal(await metric(url, 'a2a_collector_rejected_requests_total{reason="queue_full"}'), 2);
    assert.equal(await metric(url, 'a2a_collector_rejected_requests_total{reason="too_large"}'), 1);
  });
});

describe('server limits config', () => {
  it('refuses a headers timeout longer than the request timeout, at its key path', () => {
    assert.throws(
      () => validateConfig({ server: { headers_timeout_millis: 5000, request_timeout_millis: 1000 } }, builtInExporterFactories),
      (error: unknown) =>
        JSON.stringify((error as { issues: unknown }).issues) ===
        JSON.stringify([{ path: 'server.headers_timeout_millis', reason: 'must not be larger than server.request_timeout_millis' }]),
    );
  });
});
