import type { DomainEvent, EventPublisher } from '../domain/ports.js';

export type EventHandler = (event: DomainEvent) => Promise<void> | void;

/**
 * In-process publish/subscribe. Each process (web, worker) has its own bus; subscribers are
 * adapters (the Slack notifier). A failing subscriber is reported, never propagated to the publisher:
 * an announcement that cannot be posted must not undo a target change or a migration.
 */
export class EventBus implements EventPublisher {
  private readonly handlers = new Set<EventHandler>();

  constructor(private readonly onError: (error: unknown, event: DomainEvent) => void = () => {}) {}

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async publish(event: DomainEvent): Promise<void> {
    await Promise.all(
      [...this.handlers].map(async (h) => {
        try {
          await h(event);
        } catch (error) {
          this.onError(error, event);
        }
      }),
    );
  }
}
