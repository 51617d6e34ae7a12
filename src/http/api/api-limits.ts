/** Platform registration carries composer.lock files (~0.5 MB each for Open Social); a 10,000-site import ~6 MB. */
export const API_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
