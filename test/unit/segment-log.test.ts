import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { SegmentLog, type SegmentLogOptions } from '../../src/spool/segment-log.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function options(overrides: Partial<SegmentLogOptions> = {}): SegmentLogOptions {
  const directory = mkdtempSync(join(tmpdir(), 'segment-log-test-'));
  directories.push(directory);
  return { directory, fsync: 'batch', maxBytes: 1 << 20, segmentBytes: 1 << 16, ...overrides };
}

function texts(log: SegmentLog, from = 1): Array<[number, string]> {
  return [...log.read(from)].map((record) => [record.sequence, record.payload.toString('utf8')]);
}

async function appendAll(log: SegmentLog, payloads: readonly string[]): Promise<void> {
  for (const payload of payloads) log.append(Buffer.from(payload));
  await log.durable();
}

describe('SegmentLog', () => {
  for (const fsync of ['batch', 'always'] as const) {
    it(`reads back what it appended, across a reopen (fsync ${fsync})`, async () => {
      const settings = options({ fsync });
      const log = new SegmentLog(settings);
      assert.deepEqual(log.open(), { tornTailBytes: 0, corruptRecords: 0 });
      await appendAll(log, ['one', 'two', 'three']);
      await log.close();
      const again = new SegmentLog(settings);
      again.open();
      assert.deepEqual(texts(again), [[1, 'one'], [2, 'two'], [3, 'three']]);
      assert.equal(again.append(Buffer.from('four')), 4);
      await again.durable();
      assert.deepEqual(texts(again, 3), [[3, 'three'], [4, 'four']]);
      await again.close();
    });
  }

  it('writes the appends of one turn of the event loop with one write (group commit)', async () => {
    const settings = options();
    const log = new SegmentLog(settings);
    log.open();
    const [segment] = readdirSync(settings.directory);
    const path = join(settings.directory, segment ?? '');
    for (let i = 0; i < 3; i++) log.append(Buffer.from(`r${i}`));
    // Nothing is written before the turn ends; all three are, together, before durable() resolves.
    assert.equal(statSync(path).size, 0);
    await log.durable();
    assert.equal(statSync(path).size, 3 * (20 + 2));
    await log.close();
  });

  it('cuts a torn tail off the last segment and keeps every record before it', async () => {
    const settings = options();
    const log = new SegmentLog(settings);
    log.open();
    await appendAll(log, ['alpha', 'beta', 'gamma']);
    await log.close();
    const [segment] = readdirSync(settings.directory);
    const path = join(settings.directory, segment ?? '');
    // A crash in the middle of writing 'gamma': 3 of its 25 bytes are missing.
    truncateSync(path, statSync(path).size - 3);
    const again = new SegmentLog(settings);
    assert.deepEqual(again.open(), { tornTailBytes: 22, corruptRecords: 0 });
    assert.deepEqual(texts(again), [[1, 'alpha'], [2, 'beta']]);
    assert.equal(statSync(path).size, 49);
    assert.equal(again.append(Buffer.from('delta')), 3);
    await again.durable();
    assert.deepEqual(texts(again), [[1, 'alpha'], [2, 'beta'], [3, 'delta']]);
    await again.close();
  });

  it('skips a corrupted record and keeps every good record after it', async () => {
    const settings = options();
    const log = new SegmentLog(settings);
    log.open();
    await appendAll(log, ['alpha', 'beta', 'gamma']);
    await log.close();
    const [segment] = readdirSync(settings.directory);
    const path = join(settings.directory, segment ?? '');
    const bytes = readFileSync(path);
    const inBeta = 25 + 20 + 1;
    bytes.writeUInt8(bytes.readUInt8(inBeta) ^ 0xff, inBeta); // a bit flip inside 'beta'
    writeFileSync(path, bytes);
    const again = new SegmentLog(settings);
    assert.deepEqual(again.open(), { tornTailBytes: 0, corruptRecords: 1 });
    assert.deepEqual(texts(again), [[1, 'alpha'], [3, 'gamma']]);
    await again.close();
  });

  it('treats garbage after the last record as a torn tail', async () => {
    const settings = options();
    const log = new SegmentLog(settings);
    log.open();
    await appendAll(log, ['alpha']);
    await log.close();
    const [segment] = readdirSync(settings.directory);
    appendFileSync(join(settings.directory, segment ?? ''), Buffer.from('A2AS\u0000\u0000\u0000\u0009garbage'));
    const again = new SegmentLog(settings);
    assert.deepEqual(again.open(), { tornTailBytes: 15, corruptRecords: 0 });
    assert.deepEqual(texts(again), [[1, 'alpha']]);
    await again.close();
  });

  it('rolls segments over, deletes those every reader is past, and bounds its bytes', async () => {
    // 20 bytes of header + 30 of payload: two records fill a 100-byte segment.
    const settings = options({ segmentBytes: 100, maxBytes: 320 });
    const log = new SegmentLog(settings);
    log.open();
    const payload = (i: number) => `record-${String(i).padStart(23, '0')}`;
    await appendAll(log, [1, 2, 3, 4, 5].map(payload));
    assert.deepEqual(readdirSync(settings.directory).sort(), ['0000000000000001.log', '0000000000000003.log', '0000000000000005.log']);
    assert.equal(log.bytes, 250);
    assert.equal(log.hasRoomFor(30), true);
    assert.equal(log.hasRoomFor(51), false);
    assert.equal(log.deleteBefore(4), 1);
    assert.deepEqual(readdirSync(settings.directory).sort(), ['0000000000000003.log', '0000000000000005.log']);
    assert.equal(log.bytes, 150);
    assert.deepEqual(texts(log).map(([sequence]) => sequence), [3, 4, 5]);
    // Every reader past everything written: the segment being written is closed, a new one started, and both old ones go.
    assert.equal(log.deleteBefore(6), 2);
    assert.deepEqual(readdirSync(settings.directory), ['0000000000000006.log']);
    assert.equal(log.bytes, 0);
    await appendAll(log, [payload(6)]);
    assert.deepEqual(texts(log), [[6, payload(6)]]);
    await log.close();
  });

  it('empties once every reader is past it, even when its bound is smaller than one segment', async () => {
    const settings = options({ segmentBytes: 1 << 20, maxBytes: 120 });
    const log = new SegmentLog(settings);
    log.open();
    await appendAll(log, ['a'.repeat(30), 'b'.repeat(30)]);
    assert.equal(log.hasRoomFor(30), false, 'full: 100 of 120 bytes');
    log.deleteBefore(3);
    assert.equal(log.bytes, 0);
    assert.equal(log.hasRoomFor(30), true);
    await appendAll(log, ['c'.repeat(30)]);
    await log.close();
    const reopened = new SegmentLog(settings);
    reopened.open();
    assert.deepEqual(texts(reopened), [[3, 'c'.repeat(30)]]);
    await reopened.close();
  });
});
