/**
 * @module Load generators of `npm run bench`: a closed loop (N clients, each sending its next request
 * when the last is answered: the most a server does) and an open loop (requests sent at a set rate
 * whatever the answers: what a server does at a given load, and whether it refuses any of it).
 */
import { Agent, request } from 'node:http';

/** What a load run measured. */
export interface LoadResult {
  /** Requests answered with a 2xx, per second. */
  readonly requestsPerSecond: number;
  /** Requests answered otherwise (503 back-pressure) or not at all. */
  readonly failures: number;
  /** Requests the open loop could not send on time because `maxInFlight` were unanswered (0 in a closed loop). */
  readonly late?: number;
}

/** What each request sends. */
export interface LoadTarget {
  readonly url: string;
  /** Bodies, sent in turn. */
  readonly bodies: readonly string[];
  /** Path posted to. Default `/v1/a2a/traces`. */
  readonly path?: string;
  /** Default `application/json`. */
  readonly contentType?: string;
  /**
   * The body of one request from a body and the number of rounds through the bodies so far: each
   * round must carry traces of its own, or the collector counts and exports a repeat once (work not
   * done). Default: the body unchanged.
   */
  readonly perRound?: (body: string, round: number) => string | Buffer;
}

/** Seconds of load before a closed loop counts. */
const WARM_UP_SECONDS = 2;

function sender(target: LoadTarget, agent: Agent): { send: (index: number) => Promise<boolean> } {
  const url = new URL(target.path ?? '/v1/a2a/traces', target.url);
  const contentType = target.contentType ?? 'application/json';
  const perRound = target.perRound ?? ((body: string): string => body);
  const send = (index: number): Promise<boolean> => {
    const round = Math.floor(index / target.bodies.length);
    const body = perRound(target.bodies[index % target.bodies.length] as string, round);
    return new Promise((resolve) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
        const ok = res.statusCode !== undefined && res.statusCode < 300;
        res.resume();
        res.on('end', () => resolve(ok));
        res.on('error', () => resolve(false));
      });
      req.on('error', () => resolve(false));
      req.end(body);
    });
  };
  return { send };
}

/**
 * `concurrency` keep-alive clients for `seconds`, each sending as soon as its last request is
 * answered, after `warmUpSeconds` of the same that are not counted (V8 compiles the hot path in
 * the first seconds: the figure is the steady rate).
 */
export async function closedLoop(target: LoadTarget, seconds: number, concurrency: number, warmUpSeconds = WARM_UP_SECONDS): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const { send } = sender(target, agent);
  let next = 0;
  let succeeded = 0;
  let done = 0;
  const started = Date.now() + warmUpSeconds * 1000;
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const counted = Date.now() >= started;
        const ok = await send(next++);
        if (!counted) continue;
        if (ok) succeeded++;
        done++;
      }
    }),
  );
  agent.destroy();
  // Only answered-with-success requests count: a 503 (back-pressure) is work refused, not done.
  return { requestsPerSecond: succeeded / ((Date.now() - started) / 1000), failures: done - succeeded };
}

/**
 * `requestsPerSecond` for `seconds`, sent on a 10 ms tick whatever the answers, at most `maxInFlight`
 * unanswered (a request due past that is counted `late`, not sent). Resolves once every sent request
 * is answered.
 */
export async function openLoop(target: LoadTarget, seconds: number, requestsPerSecond: number, maxInFlight = 512): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const { send } = sender(target, agent);
  const started = Date.now();
  let sent = 0;
  let late = 0;
  let inFlight = 0;
  let succeeded = 0;
  const answers: Array<Promise<void>> = [];
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = Date.now() - started;
      const due = Math.min(seconds * 1000, elapsed) * (requestsPerSecond / 1000);
      while (sent + late < due) {
        if (inFlight >= maxInFlight) {
          late++;
          continue;
        }
        inFlight++;
        answers.push(
          send(sent++).then((ok) => {
            inFlight--;
            if (ok) succeeded++;
          }),
        );
      }
      if (elapsed >= seconds * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 10);
  });
  await Promise.all(answers);
  agent.destroy();
  return { requestsPerSecond: succeeded / seconds, failures: sent - succeeded, late };
}
