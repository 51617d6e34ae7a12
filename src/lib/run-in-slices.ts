/**
 * Runs a generator that yields between units of work, giving the event loop back every `sliceMs`: long CPU work
 * (indexing a large advisory map) then delays a request by at most one slice instead of its whole duration.
 */
export const runInSlices = async <T>(work: Generator<void, T, void>, sliceMs = 4): Promise<T> => {
  let sliceStart = performance.now();
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
};
