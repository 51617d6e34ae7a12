import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { chooseLogFormat } from '../../src/logger.js';

describe('log format', () => {
  test('auto: pretty for a terminal outside production, JSON for pipes, files and production', () => {
    expect(chooseLogFormat('auto', 'development', true)).toBe('pretty');
    expect(chooseLogFormat('auto', 'test', true)).toBe('pretty');
    expect(chooseLogFormat('auto', 'development', false)).toBe('json');
    expect(chooseLogFormat('auto', 'production', true)).toBe('json');
  });

  test('LOG_FORMAT wins over the guess', () => {
    expect(chooseLogFormat('json', 'development', true)).toBe('json');
    expect(chooseLogFormat('pretty', 'production', false)).toBe('pretty');
  });

  test('LOG_FORMAT is read from the environment, auto by default, and a bad value is named', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT/);
  });
});
