/** The start-up sentence about an unreachable MongoDB: hosts named, credentials never shown. */
import { describe, expect, test } from '@jest/globals';
import { redactUrl } from '../../../src/lib/redact.js';
import { mongoHosts, unreachableSentence } from '../../../src/persistence/mongo/open-mongo.js';

describe('unreachable MongoDB sentence', () => {
  test('names every host of a replica set or SRV URI, without user or password', () => {
    expect(mongoHosts('mongodb://u:p@db1:27017,db2:27018/distro?replicaSet=rs0')).toBe('db1:27017,db2:27018');
    expect(mongoHosts('mongodb+srv://u:p%40ss@cluster0.example.net/distro')).toBe('cluster0.example.net');
    expect(mongoHosts('mongodb://127.0.0.1')).toBe('127.0.0.1');
    expect(redactUrl('mongodb://u:p@db1:27017,db2:27018/distro?replicaSet=rs0')).toBe('mongodb://***@db1:27017,db2:27018/distro?replicaSet=rs0');
    expect(redactUrl('mongodb+srv://user@cluster0.example.net/x')).toBe('mongodb+srv://***@cluster0.example.net/x');
    expect(redactUrl('mongodb://db1/x')).toBe('mongodb://db1/x');
  });

  test('one line: the reason (first line only, credentials taken out), what to check, what happens next', () => {
    const error = new Error('connect ECONNREFUSED 10.0.0.1:27017 via mongodb://admin:hunter2@db1\n    at stack frame');
    const sentence = unreachableSentence('mongodb://admin:hunter2@db1:27017/distro', error, 'Retrying in 2 s.');
    expect(sentence).toBe(
      'MongoDB at db1:27017 is not reachable (connect ECONNREFUSED 10.0.0.1:27017 via mongodb://***@db1). Check that the ' +
        'server is running and reachable from this host, and that MONGODB_URI (mongodb://***@db1:27017/distro) names the ' +
        'right host, port and credentials. Retrying in 2 s.',
    );
    expect(sentence).not.toContain('hunter2');
    expect(sentence).not.toContain('\n');
  });
});
