/**
 * @module The spool's write-ahead log on disk: numbered records in segment files, each framed with
 * its length and a CRC-32, appended with group commit (one write, and one fsync when asked, for
 * every record of a turn of the event loop). Reading stops at a torn tail, which is cut off;
 * a corrupt record in the middle is skipped by resynchronising on the next frame.
 */
import { closeSync, existsSync, fsync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/** First bytes of every frame: "A2AS" read as a big-endian u32. */
const MAGIC = 0x41324153;
/** magic u32, payload length u32, CRC-32 of sequence + payload u32, sequence u64. */
const HEADER_BYTES = 20;
const SEGMENT_NAME = /^(\d{16})\.log$/;

/** When appended records are durable: `batch` once written to the OS (survives `kill -9`), `always` once fsync'd (survives power loss). */
export type FsyncMode = 'batch' | 'always';

/** Settings of a {@link SegmentLog}. */
export interface SegmentLogOptions {
  /** Directory of the segment files; created if missing. */
  readonly directory: string;
  readonly fsync: FsyncMode;
  /** Most bytes all segments may hold; an append past it is refused. */
  readonly maxBytes: number;
  /** A segment is closed and a new one started past this size. */
  readonly segmentBytes: number;
}

/** One record read back. */
export interface LogRecord {
  readonly sequence: number;
  readonly payload: Buffer;
}

/** What opening the log found. */
export interface OpenReport {
  /** Bytes cut off the end of the last segment: a record that was being written when the process died. */
  readonly tornTailBytes: number;
  /** Corrupt frames skipped between good records. */
  readonly corruptRecords: number;
}

interface Segment {
  readonly firstSequence: number;
  readonly path: string;
  bytes: number;
  /** Sequence of its last record; firstSequence - 1 while empty. */
  lastSequence: number;
}

interface PendingAppend {
  readonly frame: Buffer;
  readonly sequence: number;
}

function segmentPath(directory: string, firstSequence: number): string {
  return join(directory, `${String(firstSequence).padStart(16, '0')}.log`);
}

function frameOf(sequence: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(MAGIC, 0);
  frame.writeUInt32BE(payload.length, 4);
  frame.writeBigUInt64BE(BigInt(sequence), 12);
  payload.copy(frame, HEADER_BYTES);
  frame.writeUInt32BE(crc32(frame.subarray(12)), 8);
  return frame;
}

/** Frames of one segment's bytes; stops at the first frame that cannot be complete. */
function* readFrames(bytes: Buffer, report: { corrupt: number }): Generator<LogRecord & { end: number }> {
  let offset = 0;
  while (offset + HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32BE(offset + 4);
    const end = offset + HEADER_BYTES + length;
    const framed = bytes.readUInt32BE(offset) === MAGIC && end <= bytes.length && bytes.readUInt32BE(offset + 8) === crc32(bytes.subarray(offset + 12, end));
    if (framed) {
      yield { sequence: Number(bytes.readBigUInt64BE(offset + 12)), payload: bytes.subarray(offset + HEADER_BYTES, end), end };
      offset = end;
      continue;
    }
    // Resynchronise on the next frame that checks out; none after this point means a torn tail.
    const next = nextFrame(bytes, offset + 1);
    if (next === undefined) return;
    report.corrupt++;
    offset = next;
  }
}

function nextFrame(bytes: Buffer, from: number): number | undefined {
  for (let offset = bytes.indexOf(MAGIC_BYTES, from); offset !== -1; offset = bytes.indexOf(MAGIC_BYTES, offset + 1)) {
    if (offset + HEADER_BYTES > bytes.length) return undefined;
    const end = offset + HEADER_BYTES + bytes.readUInt32BE(offset + 4);
    if (end <= bytes.length && bytes.readUInt32BE(offset + 8) === crc32(bytes.subarray(offset + 12, end))) return offset;
  }
  return undefined;
}

const MAGIC_BYTES = Buffer.from([0x41, 0x32, 0x41, 0x53]);

/** The log. Not safe for two processes: the spool holds a lock on its directory. */
export class SegmentLog {
  private readonly segments: Segment[] = [];
  private fd: number | undefined;
  private nextSequence = 1;
  private totalBytes = 0;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  constructor(private readonly options: SegmentLogOptions) {}

  /** Bytes on disk plus bytes waiting to be written. */
  get bytes(): number {
    return this.totalBytes + this.pendingBytes;
  }

  /** Sequence the next append gets. */
  get tailSequence(): number {
    return this.nextSequence;
  }

  /** Creates the directory if it is missing. */
  ensureDirectory(): void {
    mkdirSync(this.options.directory, { recursive: true });
  }

  /** Finds the segments, cuts a torn tail off the last one, and opens it for appending. */
  open(): OpenReport {
    this.ensureDirectory();
    const names = readdirSync(this.options.directory)
      .map((name) => SEGMENT_NAME.exec(name))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b);
    const report = { corrupt: 0 };
    let tornTailBytes = 0;
    names.forEach((firstSequence, index) => {
      const path = segmentPath(this.options.directory, firstSequence);
      const bytes = readFileSync(path);
      let lastSequence = firstSequence - 1;
      let goodEnd = 0;
      for (const record of readFrames(bytes, report)) {
        lastSequence = record.sequence;
        goodEnd = record.end;
      }
      if (goodEnd < bytes.length && index === names.length - 1) {
        tornTailBytes = bytes.length - goodEnd;
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, goodEnd);
        closeSync(fd);
      }
      const size = index === names.length - 1 ? goodEnd : bytes.length;
      this.segments.push({ firstSequence, path, bytes: size, lastSequence });
      this.totalBytes += size;
    });
    const last = this.segments[this.segments.length - 1];
    this.nextSequence = last === undefined ? 1 : Math.max(last.firstSequence, last.lastSequence + 1);
    if (last === undefined) this.startSegment(this.nextSequence);
    else this.fd = openSync(last.path, 'a');
    return { tornTailBytes, corruptRecords: report.corrupt };
  }

  /** Every record from `sequence` on, in order (what was appended before open, and since). */
  *read(fromSequence: number): Generator<LogRecord> {
    const report = { corrupt: 0 };
    for (const segment of [...this.segments]) {
      if (segment.lastSequence < fromSequence) continue;
      if (!existsSync(segment.path)) continue;
      for (const record of readFrames(readFileSync(segment.path), report)) {
        if (record.sequence >= fromSequence) yield { sequence: record.sequence, payload: record.payload };
      }
    }
  }

  /**
   * Whether `bytes` more fit within `maxBytes`. Callers check before {@link append}, so that a
   * refused request changes nothing.
   */
  hasRoomFor(payloadBytes: number): boolean {
    return this.bytes + HEADER_BYTES + payloadBytes <= this.options.maxBytes;
  }

  /**
   * Appends a record and returns its sequence. It is written with the other appends of this turn of
   * the event loop; {@link durable} resolves once it is on disk as `fsync` says.
   */
  append(payload: Buffer): number {
    const sequence = this.nextSequence++;
    const frame = frameOf(sequence, payload);
    this.pending.push({ frame, sequence });
    this.pendingBytes += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    }
    return sequence;
  }

  /** Resolves once every record appended so far is durable; rejects when writing failed. */
  durable(): Promise<void> {
    if (this.pending.length === 0 && this.flushing === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private pump(): void {
    this.flushing ??= this.writeAll().finally(() => {
      this.flushing = undefined;
    });
  }

  /** Group commit: each round writes everything appended meanwhile, then wakes who waited for it. */
  private async writeAll(): Promise<void> {
    while (this.pending.length > 0 || this.waiters.length > 0) {
      const batch = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        if (batch.length > 0) {
          this.writeBatch(batch);
          if (this.options.fsync === 'always') await this.fsyncTail();
        }
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error as Error);
      } finally {
        for (const item of batch) this.pendingBytes -= item.frame.length;
      }
    }
  }

  private writeBatch(batch: readonly PendingAppend[]): void {
    let start = 0;
    while (start < batch.length) {
      const segment = this.segments[this.segments.length - 1] as Segment;
      // Fill the current segment up to its size (at least one record), then roll over.
      let end = start;
      let bytes = 0;
      while (end < batch.length && (end === start || segment.bytes + bytes + (batch[end] as PendingAppend).frame.length <= this.options.segmentBytes)) {
        bytes += (batch[end] as PendingAppend).frame.length;
        end++;
      }
      const buffer = Buffer.concat(batch.slice(start, end).map((item) => item.frame), bytes);
      let written = 0;
      while (written < buffer.length) written += writeSync(this.fd as number, buffer, written);
      segment.bytes += bytes;
      segment.lastSequence = (batch[end - 1] as PendingAppend).sequence;
      this.totalBytes += bytes;
      start = end;
      if (segment.bytes >= this.options.segmentBytes) this.startSegment(segment.lastSequence + 1);
    }
  }

  private fsyncTail(): Promise<void> {
    const fd = this.fd as number;
    return new Promise((resolve, reject) => fsync(fd, (error) => (error === null ? resolve() : reject(error))));
  }

  private startSegment(firstSequence: number): void {
    if (this.fd !== undefined) closeSync(this.fd);
    const path = segmentPath(this.options.directory, firstSequence);
    this.fd = openSync(path, 'a');
    this.segments.push({ firstSequence, path, bytes: fstatSync(this.fd).size, lastSequence: firstSequence - 1 });
  }

  /**
   * Deletes whole segments whose records all precede `sequence` (every reader is past them). When
   * that is every record written, the segment being written to is closed and a new one started
   * first, so that a log whose bound is smaller than one segment empties too.
   */
  deleteBefore(sequence: number): number {
    const active = this.segments[this.segments.length - 1];
    // Not while a write is in flight: an fsync may still hold the file's descriptor; the next call rolls.
    if (active !== undefined && active.bytes > 0 && active.lastSequence < sequence && this.fd !== undefined && this.flushing === undefined) {
      this.startSegment(active.lastSequence + 1);
    }
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      if (oldest.lastSequence >= sequence) break;
      unlinkSync(oldest.path);
      this.totalBytes -= oldest.bytes;
      this.segments.shift();
      deleted++;
    }
    return deleted;
  }

  /** Writes what is pending and closes the file. */
  async close(): Promise<void> {
    this.pump();
    await this.flushing;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Writes `text` to `path` so that a reader sees the old or the new content, never a mix. */
export function writeFileAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
