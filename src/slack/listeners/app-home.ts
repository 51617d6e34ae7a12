/** App Home: the dashboard is rebuilt from current state each time the tab is opened. */
import type { App } from '@slack/bolt';
import { appHomeView } from '../blocks/app-home.js';
import { SLACK_BOT_EVENTS } from '../slack-surface.js';
import type { ListenerDeps } from './shared.js';

export const registerAppHome = (app: App, deps: ListenerDeps): void => {
  app.event(SLACK_BOT_EVENTS[0], async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      const { advisories } = deps.services;
      const [overviews, running, summary, feeds] = await Promise.all([
        deps.services.distributions.list(),
        deps.services.tasks.running(),
        advisories.summary(),
        advisories.feedStatus(),
      ]);
      await client.views.publish({ user_id: event.user, view: appHomeView(overviews, running, new Date(), { summary, feeds }) });
    } catch (error) {
      deps.logger.error({ err: error, user: event.user }, 'could not publish App Home');
    }
  });
};
