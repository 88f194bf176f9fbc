/**
 * @module `send FILE... [--to URL]`: posts captured files (ResponseTrace JSON, A2A envelopes,
 * SSE transcripts) to a running collector and prints what it accepted.
 */
import { readFile } from 'node:fs/promises';
import { looksLikeEventStream } from '../a2a/sse-parser.js';
import { EVENT_STREAM_MEDIA_TYPE, JSON_MEDIA_TYPE } from '../http/media-types.js';
import type { AcceptedTrace } from '../accounting/trace-intake.js';
import { EXIT_USAGE, type Command } from './command.js';

/** Where `send` posts when `--to` is not given: the embedded default's address. */
export const DEFAULT_COLLECTOR_URL = 'http://127.0.0.1:4320';

interface ErrorBody {
  error?: { code?: string; message?: string; issues?: Array<{ path: string; reason: string }> };
}

/** Media type for a captured file: an event stream by extension or by content, JSON otherwise. */
export function mediaTypeOfFile(file: string, text: string): string {
  return /\.(sse|event-stream)$/i.test(file) || (!/^\s*[[{]/.test(text) && looksLikeEventStream(text)) ? EVENT_STREAM_MEDIA_TYPE : JSON_MEDIA_TYPE;
}

/** The `send` command. Exit code 1 when any file was refused. */
export const sendCommand: Command = async (options) => {
  if (options.args.length === 0) {
    options.stderr('send needs at least one FILE\n');
    return EXIT_USAGE;
  }
  const base = (options.to ?? DEFAULT_COLLECTOR_URL).replace(/\/+$/, '');
  let failed = 0;
  for (const file of options.args) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      options.stderr(`${file}: cannot read: ${(error as Error).message}\n`);
      failed++;
      continue;
    }
    let response: Response;
    try {
      response = await fetch(`${base}/v1/a2a/traces`, { method: 'POST', headers: { 'content-type': mediaTypeOfFile(file, text) }, body: text });
    } catch (error) {
      options.stderr(`${file}: cannot reach ${base}: ${(error as Error).message}\n`);
      failed++;
      continue;
    }
    const body = (await response.json().catch(() => ({}))) as ErrorBody & { accepted?: AcceptedTrace[] };
    if (response.status !== 202 || body.accepted === undefined) {
      failed++;
      options.stderr(`${file}: refused (HTTP ${response.status}) ${body.error?.code ?? ''}: ${body.error?.message ?? ''}\n`);
      for (const issue of body.error?.issues ?? []) options.stderr(`  ${issue.path === '' ? '(root)' : issue.path}: ${issue.reason}\n`);
      continue;
    }
    for (const trace of body.accepted) {
      options.stdout(`${file}: accepted trace ${trace.a2aTraceId} as ${trace.traceId} (${trace.stepCount} steps, ${trace.warnings.length} warnings)\n`);
      for (const warning of trace.warnings) options.stdout(`  warning ${warning.path === '' ? '(root)' : warning.path}: ${warning.message}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
};
