import type { Transformer } from "grammy";

/**
 * Every text and caption the bot sends is Telegram HTML (DESIGN: every
 * user-supplied string escaped with escapeHtml). Installed once on the bot's
 * Api and once inside conversations, instead of `parse_mode` on each call,
 * so no reply can send escaped text as plain text ("a &amp; b").
 */
const METHODS = new Set([
  "sendMessage",
  "editMessageText",
  "sendDocument",
  "sendPhoto",
  "editMessageCaption",
  "copyMessage",
]);

export const htmlParseMode: Transformer = (prev, method, payload, signal) => {
  const given = payload as Record<string, unknown> | undefined;
  if (!given || !METHODS.has(method) || "parse_mode" in given || "entities" in given || "caption_entities" in given)
    return prev(method, payload, signal);
  return prev(method, { ...given, parse_mode: "HTML" } as typeof payload, signal);
};
