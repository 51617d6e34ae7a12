import type { Site } from '../domain/site.js';
import type { CompareOptions } from '../services/compare-service.js';
import type { Services } from '../services/services.js';

/** `?site=` on the Compare API and page: that site's enabled modules make a missing module an error. */
export const compareOptionsFor = async (
  services: Services,
  siteKey: string | undefined,
  fileDiffs: boolean,
): Promise<{ options: CompareOptions; site: Site | null }> => {
  if (!siteKey) return { options: { fileDiffs }, site: null };
  const site = await services.sites.get(siteKey);
  return { options: { fileDiffs, siteModules: site.modules }, site };
};
