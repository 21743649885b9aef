import type { Api } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "pino";
import type { Inbox } from "../store/inbox.js";

/**
 * Long polling that never loses an update: a batch from getUpdates is
 * appended to the inbox first, and only then is its offset confirmed (by the
 * next getUpdates). When the inbox cannot take it, the offset stays, so
 * Telegram keeps the updates and sends them again; their senders are told
 * once that they will be saved. (@grammyjs/runner confirms on fetch, before
 * anything is stored, so it is not used for fetching.)
 */

export type PollerOptions = {
  allowedUpdates: readonly string[];
  /** Long-poll timeout in seconds. */
  timeoutSeconds?: number;
  /** Told when a batch could not be kept (the store is down). */
  onUnavailable?: (update: Update) => Promise<void>;
  /** Wait before asking again after a failure. */
  retryMs?: number;
};

export class DurablePoller {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly api: Api,
    private readonly inbox: Inbox,
    private readonly log: Logger,
    private readonly options: PollerOptions,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let offset: number | undefined;
    let failures = 0;
    const retryMs = this.options.retryMs ?? 1000;
    while (!this.stopping) {
      let updates: Update[];
      try {
        updates = await this.api.getUpdates(
          {
            ...(offset === undefined ? {} : { offset }),
            limit: 100,
            timeout: this.options.timeoutSeconds ?? 30,
            allowed_updates: [...this.options.allowedUpdates] as never,
          },
          this.abort.signal as never,
        );
      } catch (err) {
        if (this.stopping) break;
        failures++;
        const code = (err as { error_code?: number }).error_code;
        if (failures === 1 || failures % 30 === 0) this.log.warn({ code, failures }, "getUpdates failed; retrying");
        await sleep(Math.min(retryMs * failures, 5000));
        continue;
      }
      failures = 0;
      if (updates.length === 0) continue;
      try {
        await this.inbox.append(updates);
        offset = updates[updates.length - 1]!.update_id + 1;
      } catch (err) {
        // Not confirmed: Telegram keeps the batch and the next getUpdates returns it again.
        this.log.warn(
          { updates: updates.map((u) => u.update_id), err: { name: (err as Error).name } },
          "inbox unavailable: updates left with Telegram",
        );
        await Promise.all(updates.map((u) => this.options.onUnavailable?.(u)));
        if (!this.stopping) await sleep(retryMs);
      }
    }
  }

  /** Stops fetching: a waiting getUpdates is cancelled; a batch being appended is appended first. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.loop;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
