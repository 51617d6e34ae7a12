import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

describe('dependencies', () => {
  // Agenda's backend gets mongoose's Db: two driver copies would make it a different class (and a cast hid that).
  test('mongoose, Agenda\'s MongoDB backend and Distro resolve one copy of the MongoDB driver', () => {
    const ours = require.resolve('mongodb');
    // Resolved from inside each package's folder, as its own `import 'mongodb'` would be.
    const from = (pkg: string) => createRequire(join(dirname(require.resolve(pkg)), 'index.js')).resolve('mongodb');
    expect(from('mongoose')).toBe(ours);
    expect(from('@agendajs/mongo-backend')).toBe(ours);
    expect(dirname(ours)).toContain('node_modules/mongodb');
  });
});
