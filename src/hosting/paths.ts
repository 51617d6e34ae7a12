import { access } from 'node:fs/promises';

/** Whether a path exists (any type); missing or unreadable both read as false. */
export const pathExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );
