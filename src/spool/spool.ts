/**
 * @module The durable spool (DESIGN §10): every accepted request is a record in a write-ahead log
 * before it is answered 202, and each exporter keeps its own cursor in it, so that what an exporter
 * had not yet delivered when the process died is sent after the restart. Segments are deleted once
 * every exporter is past them; the disk it may use is bounded.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentLog, writeFileAtomically, type FsyncMode, type LogRecord, type OpenReport } from './segment-log.js';
import * as errors from '../error-catalog.js';

/** Settings of the spool. */
export interface SpoolOptions {
  readonly directory: string;
  readonly fsync: FsyncMode;
  /** Most bytes of log on disk. */
  readonly maxBytes: number;
  /** Size of one segment file. */
  readonly segmentBytes: number;
  /** The exporters that read the spool, each with a cursor of its own. */
  readonly exporterIds: readonly string[];
  /** How long a changed cursor waits before it is written to disk, in milliseconds. Default 200. */
  readonly cursorSaveDelayMillis?: number;
  /** Told the spool's size in bytes whenever it changes (a gauge). */
  readonly onBytesChanged?: (bytes: number) => void;
}

const CURSORS_FILE = 'cursors.json';
const LOCK_FILE = 'lock';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A spool directory: its log, a lock, and a cursor per exporter. */
export class Spool {
  private readonly log: SegmentLog;
  /** Per exporter: the sequence of the last record it delivered (or gave up on). */
  private readonly delivered = new Map<string, number>();
  private cursorTimer: NodeJS.Timeout | undefined;
  private locked = false;

  constructor(private readonly options: SpoolOptions) {
    this.log = new SegmentLog(options);
  }

  /** The directory the spool lives in. */
  get directory(): string {
    return this.options.directory;
  }

  /** Bytes of log on disk and waiting to be written. */
  get bytes(): number {
    return this.log.bytes;
  }

  /** Most bytes of log. */
  get capacityBytes(): number {
    return this.options.maxBytes;
  }

  /**
   * Locks the directory, opens the log (cutting a torn tail) and reads the cursors. An exporter new
   * to this directory starts at its end: it is not sent what was accepted before it was configured.
   * @throws CollectorError `CFG_ERR_SPOOL_LOCKED` when another running collector holds the directory.
   */
  open(): OpenReport {
    this.lock();
    const report = this.log.open();
    this.options.onBytesChanged?.(this.log.bytes);
    const saved = this.readCursors();
    const tail = this.log.tailSequence - 1;
    for (const id of this.options.exporterIds) this.delivered.set(id, Math.min(saved.get(id) ?? tail, tail));
    // Written now, before anything is appended: a process killed before its first cursor save must
    // not leave exporters without a cursor, which the next start would read as new (at the end).
    this.saveCursors();
    return report;
  }

  /** Records not yet delivered to at least one exporter, oldest first. */
  unsent(): Generator<LogRecord> {
    return this.log.read(this.oldestUndelivered());
  }

  /** Every record from `sequence` on that is written, oldest first. */
  read(fromSequence: number): Generator<LogRecord> {
    return this.log.read(fromSequence);
  }

  /** The sequence of the newest record appended (0 when there is none). */
  get lastSequence(): number {
    return this.log.tailSequence - 1;
  }

  /** The last record `exporterId` delivered. */
  deliveredThrough(exporterId: string): number {
    return this.delivered.get(exporterId) ?? this.log.tailSequence - 1;
  }

  /** Whether a record of `payloadBytes` fits. */
  hasRoomFor(payloadBytes: number): boolean {
    return this.log.hasRoomFor(payloadBytes);
  }

  /**
   * Appends a record; callers MUST have checked {@link hasRoomFor} and MUST await {@link durable}
   * before they answer that it was accepted.
   */
  append(payload: Buffer): number {
    const sequence = this.log.append(payload);
    this.options.onBytesChanged?.(this.log.bytes);
    return sequence;
  }

  /** Resolves once everything appended so far is on disk. */
  durable(): Promise<void> {
    return this.log.durable();
  }

  /** Moves `exporterId`'s cursor: every record up to `sequence` is delivered (or given up on). */
  markDelivered(exporterId: string, sequence: number): void {
    const previous = this.delivered.get(exporterId);
    if (previous === undefined || sequence <= previous) return;
    this.delivered.set(exporterId, sequence);
    this.cursorTimer ??= setTimeout(() => this.saveCursors(), this.options.cursorSaveDelayMillis ?? 200);
    this.cursorTimer.unref();
  }

  /** Saves the cursors and closes the log. What is undelivered stays for the next start. */
  async close(): Promise<void> {
    await this.log.close();
    this.saveCursors();
    this.unlock();
  }

  private oldestUndelivered(): number {
    let oldest = this.log.tailSequence;
    for (const sequence of this.delivered.values()) oldest = Math.min(oldest, sequence + 1);
    return oldest;
  }

  private saveCursors(): void {
    if (this.cursorTimer !== undefined) clearTimeout(this.cursorTimer);
    this.cursorTimer = undefined;
    if (!this.locked) return;
    writeFileAtomically(join(this.options.directory, CURSORS_FILE), `${JSON.stringify(Object.fromEntries(this.delivered))}\n`);
    this.log.deleteBefore(this.oldestUndelivered());
    this.options.onBytesChanged?.(this.log.bytes);
  }

  private readCursors(): Map<string, number> {
    const path = join(this.options.directory, CURSORS_FILE);
    const cursors = new Map<string, number>();
    if (!existsSync(path)) return cursors;
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [id, value] of Object.entries(parsed)) if (typeof value === 'number' && Number.isSafeInteger(value)) cursors.set(id, value);
      }
    } catch {
      // An unreadable cursor file means every record is sent again: at least once, never lost.
    }
    return cursors;
  }

  private lock(): void {
    const path = join(this.options.directory, LOCK_FILE);
    this.log.ensureDirectory();
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(path, 'utf8').trim());
        if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
          throw errors.spoolLocked(this.options.directory, holder);
        }
        // The holder died (kill -9 leaves its lock behind): take the directory over.
        unlinkSync(path);
      }
    }
  }

  private unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    try {
      unlinkSync(join(this.options.directory, LOCK_FILE));
    } catch {
      // Already gone: nothing holds the directory.
    }
  }
}
