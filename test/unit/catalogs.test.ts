import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXIT_USAGE } from '../../src/commands/command.js';
import { ConfigErrorCodes, HttpErrorStatuses } from '../../src/errors.js';
import { COLLECTOR_VERSION } from '../../src/version.js';

describe('catalogs kept in sync', () => {
  it('documents every error code in docs/errors.md with its HTTP status, and no other', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((match) => [match[1], match[2]?.trim()]);
    const expected = [
      ...Object.entries(HttpErrorStatuses).map(([code, status]) => [code, String(status)]),
      ...ConfigErrorCodes.map((code) => [code, `(exit ${EXIT_USAGE})`]),
    ];
    assert.deepEqual(rows, expected);
  });

  it('keeps COLLECTOR_VERSION equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(COLLECTOR_VERSION, pkg.version);
  });
});
