/**
 * Polls until `condition` holds. The bound only keeps a broken build from hanging the run; tests assert
 * behaviour, never how long it took.
 */
export const waitFor = async (condition: () => boolean | Promise<boolean>, what: string, boundMs = 15_000): Promise<void> => {
  const deadline = Date.now() + boundMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
