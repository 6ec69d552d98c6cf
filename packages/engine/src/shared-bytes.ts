/**
 * Bytes that worker threads read without a copy. A view into a SharedArrayBuffer crosses
 * `postMessage` as a reference to the same memory; any other buffer is copied by the structured
 * clone (or has to be transferred, which a pooled or still-needed buffer cannot be). During a first
 * upload each blob went to the writer thread and to a compression thread, and each compressed entry
 * came back: those copies and the allocations behind them were a third of the event loop's longest
 * stops while the large bench app uploaded (cpu profile mapped onto the stops).
 */
export const isShared = (bytes: Uint8Array): boolean => bytes.buffer instanceof SharedArrayBuffer;

/**
 * An allocator of views into SharedArrayBuffers of `arenaBytes`, handed out one after another (a
 * request larger than a quarter of that gets a buffer of its own). An arena's memory is freed when
 * no view into it is left, in any thread: a view held long (a blob waiting for compression) keeps
 * its whole arena, so arenas are kept small. Nothing is ever reused or overwritten.
 */
export function createSharedArena(arenaBytes = 1024 * 1024): (size: number) => Uint8Array {
  let arena: SharedArrayBuffer | undefined;
  let used = 0;
  return (size) => {
    if (size > arenaBytes / 4) return new Uint8Array(new SharedArrayBuffer(size));
    if (!arena || used + size > arena.byteLength) {
      arena = new SharedArrayBuffer(arenaBytes);
      used = 0;
    }
    const view = new Uint8Array(arena, used, size);
    used += size;
    return view;
  };
}

/** `bytes` as a shared view: itself if it is one, else copied into one from `alloc`. */
export function shared(bytes: Uint8Array, alloc: (size: number) => Uint8Array): Uint8Array {
  if (isShared(bytes)) return bytes;
  const out = alloc(bytes.byteLength);
  out.set(bytes);
  return out;
}
