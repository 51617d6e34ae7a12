/** UpgradePlanRepository on MongoDB: state changes are compare-and-set updates. */
import type { PlanSkip, UpgradePlan } from '../../domain/upgrade-plan.js';
import type { PageRequest, PlanFilter, UpgradePlanRepository } from '../../domain/ports.js';
import { newPlanRecord, pickPatch, PLAN_PATCH_KEYS } from '../records.js';
import { Collection, type Filter } from './collection.js';
import { type DistroModels } from './models.js';

export class MongoPlans implements UpgradePlanRepository {
  private readonly c: Collection<UpgradePlan>;
  constructor(models: DistroModels) {
    this.c = new Collection(models.plans, 'upgrade plan');
  }
  create(input: Parameters<UpgradePlanRepository['create']>[0]) {
    return this.c.insert(newPlanRecord(input, new Date()));
  }
  get(id: string) {
    return this.c.get(id);
  }
  transition(
    id: string,
    from: UpgradePlan['state'][],
    to: UpgradePlan['state'],
    patch: Parameters<UpgradePlanRepository['transition']>[3] = {},
  ) {
    return this.c.cas(
      id,
      { state: { $in: from } },
      { $set: { ...pickPatch(patch, PLAN_PATCH_KEYS), state: to, updatedAt: new Date() } },
    );
  }
  async setMessage(id: string, message: { channel: string; ts: string }) {
    await this.c.mustUpdate(id, {
      $set: { message: { channel: message.channel, ts: message.ts }, updatedAt: new Date() },
    });
  }
  async setTaskIds(id: string, taskIds: string[], skipped?: PlanSkip[]) {
    await this.c.mustUpdate(id, { $set: { taskIds, ...(skipped ? { skipped } : {}), updatedAt: new Date() } });
  }
  list(filter: PlanFilter = {}, page?: PageRequest) {
    const f: Filter = {};
    if (filter.distributionId !== undefined) f.distributionId = filter.distributionId;
    if (filter.state) f.state = { $in: filter.state };
    return this.c.find(f, { createdAt: -1, _id: -1 }, page);
  }
}
