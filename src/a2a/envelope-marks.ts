/**
 * @module The moments an A2A envelope records (task status timestamps, timestamp-extension stamps),
 * read into {@link EnvelopeMark}s for the root span's events: states and roles of protocol 0.3 and
 * 1.0 read alike, each moment once however often the envelope repeats it, and at most
 * {@link MAX_ENVELOPE_MARKS} of them.
 */
import type { EnvelopeMark, EnvelopeMarkSource } from '../model/envelope-context.js';
import { nonEmptyString } from '../model/json-value.js';
import { parseTimestamp } from '../model/timestamp.js';
import type { ReadWarning } from '../model/types.js';
import { CappedList } from './capped-list.js';
import type { MetadataOwner } from './trace-placements.js';

/**
 * How many moments (span events) one envelope contributes, as OpenTelemetry's default span event
 * limit; a stream of thousands of status updates must not make one span unbounded.
 */
export const MAX_ENVELOPE_MARKS = 128;

/** How many envelope warnings are kept; the rest are counted in one last warning. */
const MAX_ENVELOPE_WARNINGS = 20;

const PROTO_TASK_STATES: readonly string[] = [
  'unspecified',
  'submitted',
  'working',
  'completed',
  'failed',
  'canceled',
  'input-required',
  'rejected',
  'auth-required',
];

/** `TASK_STATE_INPUT_REQUIRED` (1.0), `input-required` (0.3) and the proto number 6 all read `input-required`. */
export function normalizeState(state: unknown): string | undefined {
  if (typeof state === 'number') return PROTO_TASK_STATES[state];
  if (typeof state !== 'string' || state === '') return undefined;
  return state.toLowerCase().replace(/^task_state_/, '').replace(/_/g, '-');
}

/** `ROLE_AGENT` (1.0) and `agent` (0.3) both read `agent`. */
export function normalizeRole(role: unknown): string | undefined {
  if (role === 1) return 'user';
  if (role === 2) return 'agent';
  if (typeof role !== 'string' || role === '') return undefined;
  return role.toLowerCase().replace(/^role_/, '');
}

/** What a mark says besides its time and path. */
export type MarkFields = Omit<EnvelopeMark, 'time' | 'path'>;

/** Who a timestamp-extension stamp belongs to. */
export type StampOwner = Omit<EnvelopeMark, 'time' | 'path' | 'state'> & { readonly source: Exclude<EnvelopeMarkSource, 'task_status'> };

/** The owner of a stamp found in the metadata of a Message, an Artifact or a Task. */
export function stampOwnerOf({ kind, object, taskId }: MetadataOwner): StampOwner {
  if (kind === 'message') return { source: 'message', taskId, messageId: nonEmptyString(object['messageId']), role: normalizeRole(object['role']) };
  if (kind === 'artifact') return { source: 'artifact', taskId, artifactId: nonEmptyString(object['artifactId']), artifactName: nonEmptyString(object['name']) };
  return { source: 'task', taskId };
}

/** The marks of one envelope, and the warnings about the stamps that could not be read. */
export class EnvelopeMarks {
  private readonly marks = new CappedList<EnvelopeMark>(MAX_ENVELOPE_MARKS);
  private readonly keys = new Set<string>();
  private readonly warnings = new CappedList<ReadWarning>(MAX_ENVELOPE_WARNINGS);

  /** Adds the moment `value` (an RFC 3339 string) at `path`; anything else is warned about and ignored. */
  add(value: unknown, path: string, fields: MarkFields): void {
    const time = typeof value === 'string' ? parseTimestamp(value) : undefined;
    if (time === undefined) {
      const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : JSON.stringify(value)?.slice(0, 64);
      this.warnings.add({ path, code: 'envelope_timestamp_invalid', message: `not an RFC 3339 timestamp: ${shown ?? 'undefined'}; ignored` });
      return;
    }
    // The final Task repeats the last status and the history of the stream before it.
    const key = JSON.stringify([fields.source, time.raw, fields.state, fields.taskId, fields.messageId, fields.role, fields.artifactId]);
    if (this.keys.has(key)) return;
    if (!this.marks.full) this.keys.add(key);
    this.marks.add({ ...fields, time, path });
  }

  /** The marks kept, in the order met. */
  list(): EnvelopeMark[] {
    return this.marks.items();
  }

  /** The warnings kept, then one for the marks and one for the warnings left out, if any. */
  warningsWithTotals(): ReadWarning[] {
    const warnings = this.warnings.items();
    if (this.marks.leftOut > 0) {
      warnings.push({ path: '', code: 'envelope_marks_truncated', message: `${this.marks.leftOut} more envelope timestamps beyond ${MAX_ENVELOPE_MARKS} were not recorded` });
    }
    if (this.warnings.leftOut > 0) {
      warnings.push({ path: '', code: 'warnings_truncated', message: `${this.warnings.leftOut} more envelope warnings were not listed` });
    }
    return warnings;
  }
}
