import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseTraceParent, toOtelSpanId, toOtelTraceId } from '../../src/mapping/ids.js';

describe('toOtelTraceId', () => {
  it('keeps a 32-hex id, lowercased', () => {
    assert.equal(toOtelTraceId('4BF92F3577B34DA6A3CE929D0E0E4736'), '4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it('keeps a UUID as its 32 hex digits', () => {
    assert.equal(toOtelTraceId('7f3c2a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6'), '7f3c2a9e1b2d4c5e8f90a1b2c3d4e5f6');
  });
  it('hashes any other string with SHA-256, deterministically', () => {
    const expected = createHash('sha256').update('trace-12345').digest('hex').slice(0, 32);
    assert.equal(toOtelTraceId('trace-12345'), expected);
    assert.equal(toOtelTraceId('trace-12345'), toOtelTraceId('trace-12345'));
    assert.notEqual(toOtelTraceId('trace-12345'), toOtelTraceId('trace-12346'));
  });
  it('never returns the invalid all-zero id', () => {
    assert.notEqual(toOtelTraceId('0'.repeat(32)), '0'.repeat(32));
  });
});

describe('toOtelSpanId', () => {
  it('keeps a 16-hex step id', () => {
    assert.equal(toOtelSpanId('00F067AA0BA902B7', 'a'.repeat(32), 't'), '00f067aa0ba902b7');
  });
  it('hashes other ids together with both trace ids', () => {
    const a = toOtelSpanId('step-1', 'a'.repeat(32), 'trace-a');
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(a, toOtelSpanId('step-1', 'a'.repeat(32), 'trace-a'));
    assert.notEqual(a, toOtelSpanId('step-1', 'a'.repeat(32), 'trace-b'));
    assert.notEqual(a, toOtelSpanId('step-1', 'b'.repeat(32), 'trace-a'));
  });
});

describe('parseTraceParent', () => {
  it('reads a valid header', () => {
    assert.deepEqual(parseTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
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
