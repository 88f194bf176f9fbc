/**
 * @module Field issues of a failed zod parse, in the collector's path notation: the config, the
 * receivers' and exporters' settings and a `pricing.file` all report their problems this way.
 */
import type { z } from 'zod';
import type { FieldIssue } from '../errors.js';
import { fieldPath } from '../model/field-path.js';

/** Every issue of `error`, its path under `base` (`exporters["otlp/jaeger"]`, `pricing.file`). */
export function zodIssues(error: z.ZodError, base = ''): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: fieldPath(base, issue.path),
    reason: issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}
