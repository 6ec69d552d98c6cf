/** Reading a server-sent event stream from the engine (deployments, app deployments, function logs). */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { TransportResponse } from './transport.js';

export type { EventSourceMessage };

/** An SSE message as the contract's `{ event, data }` union `T` (data is JSON; throws if it is not). */
export function contractEvent<T>(m: EventSourceMessage): T {
  return { event: m.event, data: JSON.parse(m.data) as unknown } as T;
}

/** Feeds the stream's messages to `onEvent` until it ends or `stop()` (asked after each chunk) says enough; closes it either way. */
export async function readEvents(res: TransportResponse, onEvent: (m: EventSourceMessage) => void, stop: () => boolean): Promise<void> {
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.chunks()) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (stop()) break;
    }
  } finally {
    res.close();
  }
}
