/**
 * The start-up failure of an unreachable MongoDB, kept apart from open-mongo.ts so src/main.ts can recognise it
 * without loading mongoose on the embedded default.
 */

/** EX_UNAVAILABLE (sysexits.h): a service the process needs is not available. */
export const MONGO_UNAVAILABLE_EXIT_CODE = 69;

export class MongoUnavailableError extends Error {
  override readonly name = 'MongoUnavailableError';
}
