/**
 * An HTTP forward proxy in front of a real server (for tests: a lakegate's schema registry)
 * that can hold requests: while paused, requests wait unanswered, so a test can keep lakegate
 * in the middle of a call to that server for as long as it needs, then let it go on.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PausableProxy {
  url: string;
  /** Requests waiting while paused. */
  held(): number;
  pause(): void;
  /** Forwards the held requests and every later one. */
  resume(): void;
  close(): Promise<void>;
}

export async function startPausableProxy(upstream: string): Promise<PausableProxy> {
  let paused = false;
  const waiting: Array<() => void> = [];
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => k !== 'host' && typeof v === 'string')) as Record<string, string>;
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const answer = await fetch(`${upstream}${req.url}`, { method: req.method, headers, body });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  };
  const server = createServer((req, res) => {
    const go = () => forward(req, res).catch(() => res.destroy());
    if (paused) waiting.push(go);
    else go();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => waiting.length,
    pause: () => void (paused = true),
    resume() {
      paused = false;
      for (const go of waiting.splice(0)) go();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
