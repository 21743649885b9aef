/**
 * Bulk sends under Telegram's limits: every message first takes a slot of the
 * rate shared by all instances through the store (at most `perSecond`
 * overall, one a second per chat), then goes out; a few go at once so the
 * round trip does not lower the rate. Interactive replies never pass here.
 */

export interface SendQueueOptions {
  /** 0 when the slot is taken, else ms to wait before asking again (ReminderLedger.takeSendSlot). */
  takeSlot: (chatId: number) => Promise<number>;
  /** Messages in flight at once. */
  concurrency: number;
}

export interface SendQueue {
  send<T>(chatId: number, call: () => Promise<T>): Promise<T>;
}

export function createSendQueue({ takeSlot, concurrency }: SendQueueOptions): SendQueue {
  let running = 0;
  const waiting: (() => void)[] = [];
  const acquire = async () => {
    if (running < concurrency) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const releaseOne = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    async send(chatId, call) {
      await acquire();
      try {
        for (;;) {
          const wait = await takeSlot(chatId);
          if (wait === 0) break;
          await new Promise((r) => setTimeout(r, wait));
        }
        return await call();
      } finally {
        releaseOne();
      }
    },
  };
}
