import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTraceParent, toOtelSpanId, toOtelTraceId } from '../../src/mapping/ids.js';

describe('toOtelTraceId', () => {
  it('keeps a 32-hex id, lowercased', () => {
    assert.equal(toOtelTraceId('4BF92F3577B34DA6A3CE929D0E0E4736'), '4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it('keeps a UUID as its 32 hex digits', () => {
    assert.equal(toOtelTraceId('7f3c2a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6'), '7f3c2a9e1b2d4c5e8f90a1b2c3d4e5f6');
  });
  // Literal ids (the first bytes of SHA-256, computed outside this code): DESIGN §3 promises they never change.
  it('hashes any other string with SHA-256', () => {
    assert.equal(toOtelTraceId('trace-12345'), '57e59c0f31dbbf33ade6425573937b40');
  });
  it('hashes the invalid all-zero id instead of keeping it', () => {
    assert.equal(toOtelTraceId('0'.repeat(32)), '84e0c0eafaa95a34c293f278ac52e45c');
  });
});

describe('toOtelSpanId', () => {
  it('keeps a 16-hex step id', () => {
    assert.equal(toOtelSpanId('00F067AA0BA902B7', 'a'.repeat(32), 't'), '00f067aa0ba902b7');
  });
  it('hashes other ids together with both trace ids', () => {
    assert.equal(toOtelSpanId('step-1', 'a'.repeat(32), 'trace-a'), 'c8ef8105a04286e0');
    assert.equal(toOtelSpanId('step-1', 'a'.repeat(32), 'trace-b'), '862006db93b8ef65');
    assert.equal(toOtelSpanId('step-1', 'b'.repeat(32), 'trace-a'), '25cb0a72c26f23f3');
  });
});

describe('parseTraceParent', () => {
  it('reads a valid header', () => {
    assert.deepEqual(parseTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
    });
  });
  for (const bad of [
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    'garbage',
  ]) {
    it(`refuses ${bad}`, () => assert.equal(parseTraceParent(bad), undefined));
  }
});
