/**
 * Mongoose schemas. Nested domain data is Mixed: the repositories own its shape, and Mixed lets Dates
 * inside (log lines, history, leases) round-trip as BSON dates without a sub-schema per type.
 * The unique indexes carry the domain's uniqueness rules so concurrent writers cannot both win.
 */
import mongoose, { Schema, type Connection, type Model } from 'mongoose';

const Mixed = Schema.Types.Mixed;
// minimize:false keeps empty objects ({} pollState/checkpoint) instead of dropping the field. strict:'throw' makes a
// field missing from a schema an error instead of a silent loss (a new domain field must be added here too).
const options = { versionKey: false, minimize: false, strict: 'throw' } as const;

const distributionSchema = new Schema(
  {
    slug: { type: String, required: true },
    title: String,
    description: String,
    channel: { type: String, default: null },
    upstream: { type: Mixed, default: null },
    policy: Mixed,
    targetPlatformId: { type: String, default: null },
    pollState: { type: Mixed, default: {} },
    lastPoll: { type: Mixed, default: null },
    createdAt: Date,
    updatedAt: Date,
  },
  options,
);
distributionSchema.index({ slug: 1 }, { unique: true });

const platformSchema = new Schema(
  {
    name: { type: String, required: true },
    distributionId: { type: String, required: true },
    source: Mixed,
    manifest: Mixed,
    status: String,
    createdBy: Mixed,
    server: String,
    path: { type: String, default: null },
    buildLog: { type: [String], default: [] },
    /** Lines ever appended; buildLogDropped is this minus what buildLog still holds. */
    buildLogCount: { type: Number, default: 0 },
    buildLeaseUntil: { type: Date, default: null },
    createdAt: Date,
    updatedAt: Date,
  },
  options,
);
platformSchema.index({ name: 1 }, { unique: true });
platformSchema.index({ distributionId: 1, 'source.commit': 1 }, { unique: true });
platformSchema.index({ distributionId: 1, createdAt: 1 });
platformSchema.index({ status: 1, buildLeaseUntil: 1 });

const siteSchema = new Schema(
  {
    name: { type: String, required: true },
    platformId: { type: String, required: true },
    status: String,
    modules: { type: [String], default: [] },
    history: { type: Mixed, default: [] },
    createdAt: Date,
    updatedAt: Date,
  },
  options,
);
siteSchema.index({ name: 1 }, { unique: true });
siteSchema.index({ platformId: 1 });

const taskSchema = new Schema(
  {
    number: { type: Number, required: true },
    type: String,
    subject: Mixed,
    fromPlatformId: { type: String, default: null },
    toPlatformId: { type: String, default: null },
    planId: { type: String, default: null },
    state: String,
    requestedBy: Mixed,
    confirmedBy: { type: Mixed, default: null },
    log: { type: Mixed, default: [] },
    /** Lines ever appended; logDropped is this minus what log still holds. */
    logCount: { type: Number, default: 0 },
    step: { type: String, default: null },
    checkpoint: { type: Mixed, default: {} },
    attempts: { type: Number, default: 0 },
    lease: { type: Mixed, default: null },
    error: { type: String, default: null },
    createdAt: Date,
    startedAt: { type: Date, default: null },
    finishedAt: { type: Date, default: null },
    /** Present only while queued/processing: the partial unique index allows one active task per key. */
    activeKey: { type: String },
  },
  options,
);
taskSchema.index({ number: 1 }, { unique: true });
taskSchema.index({ activeKey: 1 }, { unique: true, partialFilterExpression: { activeKey: { $type: 'string' } } });
taskSchema.index({ 'subject.id': 1, number: -1 });
taskSchema.index({ state: 1, 'lease.until': 1 });

const planSchema = new Schema(
  {
    distributionId: String,
    targetPlatformId: String,
    scope: Mixed,
    moves: { type: Mixed, default: [] },
    blocked: Boolean,
    state: String,
    requestedBy: Mixed,
    confirmedBy: { type: Mixed, default: null },
    taskIds: { type: [String], default: [] },
    skipped: { type: Mixed },
    message: { type: Mixed, default: null },
    createdAt: Date,
    updatedAt: Date,
  },
  options,
);

const counterSchema = new Schema({ name: { type: String, required: true }, seq: Number }, { versionKey: false, strict: 'throw' });
counterSchema.index({ name: 1 }, { unique: true });

/**
 * Delivered Slack/GitHub request ids; MongoDB's TTL monitor deletes each one after its `expiresAt`. Claimed GitHub
 * deliveries carry `state: 'claimed'` and a `leaseUntil` until completed; no state means handled (`done`).
 */
const redeliverySchema = new Schema(
  { key: { type: String, required: true }, expiresAt: Date, state: { type: String, enum: ['claimed', 'done'] }, leaseUntil: Date },
  { versionKey: false, strict: 'throw' },
);
redeliverySchema.index({ key: 1 }, { unique: true });
redeliverySchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
/**
 * Migration slots (TaskRepository.claimWithinLimits): one document per slot key listing the tasks holding one of
 * its slots. A slot is taken by one conditional $push (the array is shorter than the limit and does not hold the
 * task yet), so the limit rests on single-document atomicity only, not on unique indexes or string _ids (which the
 * test stand-in lacks). The unique `key` index keeps two racing first upserts from making two documents.
 */
const slotSchema = new Schema(
  { key: { type: String, required: true }, holders: { type: [{ _id: false, taskId: String, at: Date }], default: [] } },
  { versionKey: false, strict: 'throw' },
);
slotSchema.index({ key: 1 }, { unique: true });
slotSchema.index({ 'holders.taskId': 1 });

/** Admin sessions (SessionStore); `key` is the hash of the cookie token (random: unique by construction). */
const sessionSchema = new Schema(
  { key: { type: String, required: true }, user: String, csrf: String, createdAt: Date, lastSeenAt: Date, stamp: String },
  { versionKey: false, strict: 'throw' },
);
sessionSchema.index({ key: 1 }, { unique: true });

/** Personal API tokens (ApiTokenStore); `hash` is the SHA-256 of the secret (random: unique by construction). */
const apiTokenSchema = new Schema(
  {
    key: { type: String, required: true },
    user: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, required: true },
    hash: { type: String, required: true },
    createdAt: Date,
    expiresAt: { type: Date, default: null },
    lastUsedAt: { type: Date, default: null },
  },
  { versionKey: false, strict: 'throw' },
);
apiTokenSchema.index({ key: 1 }, { unique: true });
apiTokenSchema.index({ hash: 1 }, { unique: true });
apiTokenSchema.index({ user: 1, createdAt: -1 });

export interface DistroModels {
  distributions: Model<unknown>;
  platforms: Model<unknown>;
  sites: Model<unknown>;
  tasks: Model<unknown>;
  plans: Model<unknown>;
  counters: Model<unknown>;
  redeliveries: Model<unknown>;
  slots: Model<unknown>;
  sessions: Model<unknown>;
  apiTokens: Model<unknown>;
}

const define = (connection: Connection, name: string, schema: Schema, collection: string): Model<unknown> =>
  // Reuse the model when repositories are created twice on one connection (tests, app rebuilds).
  (connection.models[name] as Model<unknown> | undefined) ?? connection.model<unknown>(name, schema, collection);

/** Registers the models on `connection` and waits until their indexes exist (unique rules hold from the first write). */
export const defineModels = async (connection: Connection): Promise<DistroModels> => {
  const models: DistroModels = {
    distributions: define(connection, 'Distribution', distributionSchema, 'distributions'),
    platforms: define(connection, 'Platform', platformSchema, 'platforms'),
    sites: define(connection, 'Site', siteSchema, 'sites'),
    tasks: define(connection, 'Task', taskSchema, 'tasks'),
    plans: define(connection, 'UpgradePlan', planSchema, 'upgradeplans'),
    counters: define(connection, 'Counter', counterSchema, 'counters'),
    redeliveries: define(connection, 'Redelivery', redeliverySchema, 'redeliveries'),
    slots: define(connection, 'MigrationSlotKey', slotSchema, 'migrationslotkeys'),
    sessions: define(connection, 'AdminSession', sessionSchema, 'adminsessions'),
    apiTokens: define(connection, 'ApiToken', apiTokenSchema, 'apitokens'),
  };
  await Promise.all(Object.values(models).map((m: Model<unknown>) => m.init()));
  return models;
};

/** True for a string that can be an ObjectId; other ids simply do not exist (no CastError leaks out). */
export const toObjectId = (id: string): mongoose.Types.ObjectId | null =>
  /^[0-9a-f]{24}$/i.test(id) ? new mongoose.Types.ObjectId(id) : null;

