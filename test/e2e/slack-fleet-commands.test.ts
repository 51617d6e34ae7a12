/** `/distro build` and `/distro adopt` through signed requests into the real Bolt app: refusals say what is wrong. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { blockText } from '../support/slack-stand-in.js';
import { startSlackHarness, type Harness } from './slack-harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startSlackHarness({ seed: { sites: { '12.3.3': ['a.example.org'], '12.4.2': ['new.example.org'] } } });
});
afterAll(() => h.close());

const replyText = async (text: string): Promise<string> => {
  const { status, reply } = await h.command(text);
  expect(status).toBe(200);
  return blockText(reply.args.blocks);
};

test('build: a ref git would read as an option is refused naming it, before anything reaches git', async () => {
  expect(await replyText('build social --upload-pack=touch')).toContain('ref: not a valid git tag or branch name (starts with "-")');
  expect(await replyText('build social')).toContain('build &lt;distribution&gt; &lt;tag-or-ref&gt;');
});

test('adopt: nothing is recorded when the hosting driver cannot confirm the site', async () => {
  const text = await replyText('adopt ghost.example.org social-12.4.2');
  expect(text).toMatch(/cannot look for existing sites|was not found on platform/);
  await expect(h.services.sites.get('ghost.example.org')).rejects.toThrow();
  expect(await replyText('adopt bad_name social-12.4.2')).toContain('name: a host name');
});
