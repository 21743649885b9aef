import type { ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { Logger } from "pino";
import type { Draft } from "../form/draft.js";
import type { FlowRegistry } from "../form/flow-registry.js";
import type { SentReplies } from "../intake/sent-replies.js";
import type { RenderOptions } from "../report/render-docx.js";
import type { Store } from "../store/store.js";

/** What every handler needs, on the context from its construction (createBot; never imported as singletons). */
export interface Deps {
  store: Store;
  logger: Logger;
  now: () => Date;
  /** The official formats (flows/index.ts). */
  flows: FlowRegistry;
  allowedUserIds?: readonly number[];
  /** BOT_ADMINS: who may create campaigns. */
  admins?: readonly number[];
  /** Builds a report's .docx off the main thread (render-pool.ts). */
  renderDocx: (draft: Draft, options: RenderOptions) => Promise<Uint8Array>;
  /** Builds the website's .html off the main thread too. */
  renderHtml: (draft: Draft, options: RenderOptions) => Promise<string>;
  /**
   * Set when updates come from the inbox: their replies' record (markSent) is
   * written with the inbox acknowledgement (intake/sent-replies.ts).
   */
  sent?: SentReplies;
  /** Downloads a file an officer sent (getFile's file_path), at most maxBytes. */
  downloadFile: (filePath: string, maxBytes: number) => Promise<Uint8Array>;
}

export type BotContext = ConversationFlavor<Context & { deps: Deps; log: Logger }>;
