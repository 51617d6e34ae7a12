/**
 * JSON snapshot file of the old embedded store (bench:store baseline only). Dates are tagged (`{"$date": iso}`) rather than guessed from
 * ISO-looking strings, so a poll-state value or checkpoint that happens to look like a date stays a string.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ValidationError } from '../../src/domain/errors.js';

const DATE_TAG = '$date';

export const encodeSnapshot = (state: unknown): string =>
  JSON.stringify(state, function (this: Record<string, unknown>, key: string, value: unknown) {
    // JSON.stringify has already called Date#toJSON on `value`; the holder still has the Date.
    const raw = this[key];
    return Object.prototype.toString.call(raw) === '[object Date]' ? { [DATE_TAG]: (raw as Date).toISOString() } : value;
  });

export const decodeSnapshot = <T>(text: string): T =>
  JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      const tagged = (value as Record<string, unknown>)[DATE_TAG];
      if (keys.length === 1 && typeof tagged === 'string') return new Date(tagged);
    }
    return value;
  }) as T;

/** Reads a snapshot; null when the file does not exist. A corrupt file is an error and is left untouched. */
export const readSnapshot = <T>(file: string): T | null => {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8');
  try {
    return decodeSnapshot<T>(text);
  } catch (e) {
    throw new ValidationError(`Store snapshot ${file} is not valid JSON; it was left as it is.`, [String(e)], {
      hint: 'Restore it from a backup or move it away to start with an empty store.',
    });
  }
};

// Temp file + rename: rename is atomic, so a reader (or a restart after SIGKILL) sees the old or the new
// snapshot, never half of one. No fsync: a killed process does not lose the page cache, only a power cut would.
const tempName = (file: string): string => `${file}.${process.pid}.tmp`;

export const writeSnapshotSync = (file: string, text: string): void => {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = tempName(file);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
};

export const writeSnapshotAsync = async (file: string, text: string): Promise<void> => {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = tempName(file);
  await writeFile(tmp, text);
  await rename(tmp, file);
};

/** Persists state after mutations: synchronously, or coalesced into one async write per burst. */
export class SnapshotWriter {
  private dirty = false;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly file: string,
    private readonly mode: 'sync' | 'debounced',
    private readonly serialize: () => string,
    private readonly delayMs = 20,
  ) {}

  changed(): void {
    if (this.mode === 'sync') {
      writeSnapshotSync(this.file, this.serialize());
      return;
    }
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.delayMs);
  }

  /** Writes pending changes; resolves when the file holds the latest state. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.writing || this.dirty) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      this.dirty = false;
      // Serialize now so the write is a consistent point-in-time copy even if mutations continue meanwhile.
      this.writing = writeSnapshotAsync(this.file, this.serialize()).finally(() => {
        this.writing = null;
      });
    }
  }
}
