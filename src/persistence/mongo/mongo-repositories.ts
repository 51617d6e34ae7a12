/**
 * Mongoose repositories: the same behaviour as the SQLite ones (both run the contract suite), with races
 * settled by the database: unique indexes for uniqueness, single findOneAndUpdate calls whose filter holds the
 * expected current state for every compare-and-set, and a counters collection for task numbers.
 * One file per repository under src/persistence/mongo/ (schemas in models.ts); this file assembles them: register a
 * new repository here.
 */
import mongoose, { type Connection } from 'mongoose';
import type { Repositories } from '../../domain/ports.js';
import { MongoAdvisories } from './advisories.js';
import { MongoApiTokens } from './api-tokens.js';
import { MongoAudit } from './audit.js';
import { MongoDistributions } from './distributions.js';
import { MongoHolds } from './holds.js';
import { defineModels } from './models.js';
import { MongoPlans } from './plans.js';
import { MongoPlatforms } from './platforms.js';
import { MongoRedeliveries } from './redeliveries.js';
import { MongoRollouts } from './rollouts.js';
import { MongoSessions } from './sessions.js';
import { MongoSignIns } from './sign-ins.js';
import { MongoSites } from './sites.js';
import { MongoTasks } from './tasks.js';

/**
 * Repositories on an open mongoose connection. Indexes are built before this resolves.
 * `close()` closes the connection: stop the job queue sharing it first.
 */
export const createMongoRepositories = async (connection: Connection): Promise<Repositories> => {
  const models = await defineModels(connection);
  const [audit, holds, signIns] = await Promise.all([MongoAudit.create(connection), MongoHolds.create(connection), MongoSignIns.create(connection)]);
  return {
    distributions: new MongoDistributions(models),
    platforms: new MongoPlatforms(models),
    sites: new MongoSites(models),
    tasks: new MongoTasks(models),
    plans: new MongoPlans(models),
    redeliveries: new MongoRedeliveries(models.redeliveries),
    rollouts: await MongoRollouts.open(connection),
    sessions: new MongoSessions(models.sessions),
    signIns,
    apiTokens: new MongoApiTokens(models.apiTokens),
    advisories: await new MongoAdvisories(connection).init(),
    audit,
    holds,
    // No multi-document transaction (a standalone server has none): the calls run in order, each atomic.
    transaction: (fn) => fn(),
    ping: async () => {
      try {
        const res = await connection.db?.admin().command({ ping: 1 });
        return res?.ok === 1;
      } catch {
        return false;
      }
    },
    close: () => connection.close(),
  };
};

/** Opens a dedicated connection (not the mongoose default one), failing fast when the server is unreachable. */
export const connectMongo = async (uri: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<Connection> =>
  mongoose.createConnection(uri, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000 }).asPromise();
