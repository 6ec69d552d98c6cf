/** The server clock: real time plus an offset that only POST /_local/clock moves forward. */
export interface Clock {
  now(): Date;
  advance(seconds: number): Date;
  offsetMs(): number;
}

export function createClock(initialOffsetMs = 0, realNow: () => number = Date.now): Clock {
  let offset = initialOffsetMs;
  return {
    now: () => new Date(realNow() + offset),
    advance(seconds: number) {
      offset += seconds * 1000;
      return new Date(realNow() + offset);
    },
    offsetMs: () => offset,
  };
}
