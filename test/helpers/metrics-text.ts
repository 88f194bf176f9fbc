/**
 * @module Test helper: the samples of one metric in a Prometheus text exposition, as a plain object
 * from the label set (as written, `{agent="a",...}`, or `''` without labels) to the value.
 */

/** Every sample of `name` (exactly that name: `_sum`, `_count` and `_bucket` are names of their own). */
export function metricSamples(exposition: string, name: string): Record<string, number> {
  const samples: Record<string, number> = {};
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    const match = /^(\{.*\})? (\S+)$/.exec(rest);
    if (match === null) continue;
    samples[match[1] ?? ''] = Number(match[2]);
  }
  return samples;
}

/** The metrics page of an in-process collector app. */
export async function scrape(app: { request(path: string): Response | Promise<Response> }): Promise<string> {
  return (await app.request('/metrics')).text();
}
