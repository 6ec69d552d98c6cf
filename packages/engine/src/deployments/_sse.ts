// Test support: parse a finished server-sent-events body.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever each event carries
export interface SseEvent { event: string; id?: string; data: any }

export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length) out.push({ event, ...(id !== undefined ? { id } : {}), data: JSON.parse(data.join('\n')) });
  }
  return out;
}

/** Test support: a live event stream over real HTTP, read event by event as it arrives. */
export interface SseFollower {
  /** Events received so far. */
  readonly events: SseEvent[];
  /** Resolves with the first event (already received or still to come) that matches. */
  until(match: (e: SseEvent) => boolean): Promise<SseEvent>;
  close(): void;
}

export async function followSse(url: string, headers: Record<string, string>): Promise<SseFollower> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  const events: SseEvent[] = [];
  const waiters: Array<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void; reject: (e: Error) => void }> = [];
  let ended: Error | undefined;
  const failAll = (e: Error) => { ended = e; for (const w of waiters.splice(0)) w.reject(e); };
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i + 2);
          buf = buf.slice(i + 2);
          for (const e of parseSse(block)) {
            events.push(e);
            for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
          }
        }
      }
      failAll(new Error('the stream ended'));
    } catch (e) {
      failAll(e instanceof Error ? e : new Error(String(e)));
    }
  })();
  return {
    events,
    until(match) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      if (ended) return Promise.reject(ended);
      return new Promise((resolve, reject) => waiters.push({ match, resolve, reject }));
    },
    close: () => ac.abort(),
  };
}
