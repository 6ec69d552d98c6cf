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
