/** The sealed result messages of page actions: they open only on their page, unaltered and in time. */
import { describe, expect, test } from '@jest/globals';
import { LinkSigner } from '../../../src/services/link-signer.js';

const at = { ms: Date.UTC(2026, 0, 1) };
const signer = new LinkSigner({ secret: 's'.repeat(32), ttlMs: 3_600_000, publicUrl: 'https://distro.example', now: () => at.ms });

describe('result notes', () => {
  test('open on the page they were sealed for, for two minutes', () => {
    at.ms = Date.UTC(2026, 0, 1);
    const note = signer.sealNote('/rollouts/3', 'Rollout 3 paused.');
    expect(signer.openNote('/rollouts/3', note)).toBe('Rollout 3 paused.');
    expect(signer.openNote('/rollouts/4', note)).toBeNull();
    at.ms += 121_000;
    expect(signer.openNote('/rollouts/3', note)).toBeNull();
  });

  test('an altered, foreign or oversized note opens to nothing; a note is no link signature', () => {
    at.ms = Date.UTC(2026, 0, 1);
    const note = signer.sealNote('/rollouts/3', 'Rollout 3 paused.');
    const [body, exp, sig] = note.split('.') as [string, string, string];
    const other = new LinkSigner({ secret: 't'.repeat(32), ttlMs: 1, publicUrl: 'https://distro.example', now: () => at.ms });
    for (const bad of [`${Buffer.from('Deleted everything.').toString('base64url')}.${exp}.${sig}`, `${body}.${Number(exp) + 1}.${sig}`, other.sealNote('/rollouts/3', 'x'), `${note}.x`, 'a'.repeat(5000), 42, undefined]) {
      expect(signer.openNote('/rollouts/3', bad)).toBeNull();
    }
    expect(signer.verify('/rollouts/3', exp, sig)).toBe('invalid');
  });
});
