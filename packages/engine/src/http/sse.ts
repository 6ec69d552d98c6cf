/**
 * The server side of a server-sent event stream that follows something stored: the response head,
 * frames, keep-alives, and a wait that a change (this engine's, via `subscribe`) or the client
 * going away cuts short. Used by the deployment and app-deployment event streams.
 */
import type { FastifyReply } from 'fastify';

/** One SSE frame; `id` becomes the client's Last-Event-ID. */
export function sseFrame(event: string, data: unknown, id?: number | string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface SseStream {
  /** The client has gone away. */
  readonly closed: boolean;
  /** Forget the changes seen so far (call before reading the store again). */
  settle(): void;
  /** Resolves after `ms`, or sooner on a change since `settle()` or when the client goes away. */
  wait(ms: number): Promise<void>;
  write(event: string, data: unknown, id?: number | string): void;
  keepAlive(): void;
  /** Unsubscribe and end the response. */
  end(): void;
}

/** Takes the reply over (hijack) and writes the stream's head; `subscribe` wakes `wait` on a change and returns its unsubscribe. */
export function openSse(reply: FastifyReply, subscribe: (onChange: () => void) => () => void): SseStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write('retry: 1000\n\n');
  let closed = false;
  let dirty = false;
  let wakeup: (() => void) | undefined;
  const onClose = () => { closed = true; wakeup?.(); };
  raw.on('close', onClose);
  const unsubscribe = subscribe(() => { dirty = true; wakeup?.(); });
  return {
    get closed() { return closed; },
    settle() { dirty = false; },
    wait: (ms) => new Promise<void>((resolve) => {
      if (dirty || closed) return resolve();
      const timer = setTimeout(() => { wakeup = undefined; resolve(); }, ms);
      wakeup = () => { clearTimeout(timer); wakeup = undefined; resolve(); };
    }),
    write(event, data, id) { raw.write(sseFrame(event, data, id)); },
    keepAlive() { raw.write(': keep-alive\n\n'); },
    end() {
      unsubscribe();
      raw.off('close', onClose);
      raw.end();
    },
  };
}
