/**
 * @module The collector's version (kept equal to package.json's by a unit test).
 */

/** Version of a2a-trace-collector, written on every span's instrumentation scope. */
export const COLLECTOR_VERSION = '0.1.0';
