/** E11000: a MongoDB write a unique index refused (shared by the Mongo stores and the Agenda queue). */
export const isDuplicateKey = (e: unknown): e is { code: 11000; keyPattern?: Record<string, unknown> } =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 11000;
