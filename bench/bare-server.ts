/**
 * Baseline for the ingest benchmark: a bare node:http server that reads the body, parses the JSON
 * and answers 202, doing none of the collector's work. Prints its URL on stdout.
 */
import { createServer } from 'node:http';

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { steps?: unknown[] };
    response.writeHead(202, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ stepCount: body.steps?.length ?? 0 }));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address !== null) process.stdout.write(`http://127.0.0.1:${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
