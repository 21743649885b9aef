/**
 * A small local Telegram Bot API server for end-to-end tests, plus the
 * officer's hands (pushing updates, reading what the bot sent).
 *
 * Strict on purpose: it refuses what Telegram refuses (bad HTML, texts over
 * the limits, oversized callback data, no-op edits) with Telegram's status and
 * description, and records every refusal in `fake.errors`, so a test can
 * assert the bot caused none. Only node:http; binds 127.0.0.1 on a random port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type {
  BotCommand,
  Chat,
  ForceReply,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  Message,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
  Update,
  User,
  UserFromGetMe,
} from "grammy/types";
import { botInfo } from "./bot-info.js";

// ─── Parse mode HTML ────────────────────────────────────────────────────────

export interface ParsedEntity {
  type: string;
  offset: number; // in UTF-16 code units, like Telegram (and JS string indices)
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
}
export interface FormattedText {
  text: string;
  entities: ParsedEntity[];
}

// biome-ignore format: a table
const TAG_ENTITY: Record<string, string> = {
  b: "bold", strong: "bold", i: "italic", em: "italic", u: "underline", ins: "underline", s: "strikethrough",
  strike: "strikethrough", del: "strikethrough", a: "text_link", code: "code", pre: "pre", span: "spoiler",
  "tg-spoiler": "spoiler", blockquote: "blockquote", "tg-emoji": "custom_emoji",
};
const NAMED_REFERENCES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };
const REFERENCE = /&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/iy;
const ATTRIBUTE = /([^\s=>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9.-]*)))?/y;

/** Telegram's reason, without the "Bad Request: can't parse entities: " prefix. */
export class HtmlParseError extends Error {}

function decodeReference(ref: string): string | undefined {
  if (!ref.startsWith("#")) return NAMED_REFERENCES[ref];
  const code = /^#x/i.test(ref) ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
  return code > 0 && code < 0x110000 && !(code >= 0xd800 && code < 0xe000) ? String.fromCodePoint(code) : undefined;
}
const decodeAttribute = (value: string) =>
  value.replace(new RegExp(REFERENCE.source, "gi"), (m, ref: string) => decodeReference(ref) ?? m);

/**
 * Telegram's HTML subset → plain text + entities, with tdlib's error texts.
 * Stricter than Telegram in one way: a bare "&" or an unknown entity such as
 * "&nbsp;" is refused. Telegram keeps those literally, but the Bot API asks for
 * every "&" to be escaped, so one always means the bot forgot to escape a string.
 */
export function parseHtml(html: string): FormattedText {
  const at = (i: number) => `at byte offset ${Buffer.byteLength(html.slice(0, i))}`;
  const error = (why: string) => new HtmlParseError(why);
  const isSpace = (i: number) => /\s/.test(html[i] ?? "");
  const stack: { name: string; offset: number; attrs: Map<string, string>; language?: string }[] = [];
  const entities: ParsedEntity[] = [];
  let text = "";

  const openTag = (start: number): number => {
    let j = start + 1;
    while (j < html.length && !isSpace(j) && html[j] !== ">") j++;
    if (j >= html.length) throw error(`Unclosed start tag ${at(start)}`);
    const name = html.slice(start + 1, j).toLowerCase();
    if (!(name in TAG_ENTITY)) throw error(`Unsupported start tag "${name}" ${at(start)}`);
    const attrs = new Map<string, string>();
    for (;;) {
      while (isSpace(j)) j++;
      if (j >= html.length) throw error(`Unclosed start tag ${at(start)}`);
      if (html[j] === ">") break;
      ATTRIBUTE.lastIndex = j;
      const [all = "", attr = "", doubleQuoted, singleQuoted, token] = ATTRIBUTE.exec(html) ?? [];
      if (!attr) throw error(`Empty attribute name in the tag "${name}" ${at(start)}`);
      j += all.length;
      const quoted = doubleQuoted ?? singleQuoted;
      if (quoted === undefined && token === undefined && !(name === "blockquote" && attr === "expandable")) {
        throw error(`Expected equal sign in declaration of an attribute of the tag "${name}" ${at(start)}`);
      }
      if (token !== undefined && j < html.length && !isSpace(j) && html[j] !== ">") {
        const quote = token === "" && (html[j] === '"' || html[j] === "'"); // a quoted value never closed
        throw error(quote ? `Unclosed start tag ${at(start)}` : `Unexpected end of name token ${at(j - token.length)}`);
      }
      attrs.set(attr.toLowerCase(), quoted !== undefined ? decodeAttribute(quoted) : (token ?? "").toLowerCase());
    }
    if (name === "span" && attrs.get("class") !== "tg-spoiler") {
      throw error(`Tag "span" must have class "tg-spoiler" ${at(start)}`);
    }
    stack.push({ name, offset: text.length, attrs });
    return j + 1;
  };

  const closeTag = (start: number): number => {
    const open = stack.pop();
    if (!open) throw error(`Unexpected end tag ${at(start)}`);
    const tag = /^<\/([^\s>]*)\s*>/.exec(html.slice(start, start + 64));
    if (!tag) throw error(`Unclosed end tag ${at(start)}`);
    const name = (tag[1] ?? "").toLowerCase();
    if (name && name !== open.name) {
      throw error(`Unmatched end tag ${at(start)}, expected "</${open.name}>", found "</${name}>"`);
    }
    const parent = stack.at(-1);
    if (open.name === "code" && parent?.name === "pre") {
      // <pre><code class="language-x"> is one pre entity with a language
      const cls = open.attrs.get("class");
      if (cls?.startsWith("language-")) parent.language = cls.slice("language-".length);
      return start + tag[0].length;
    }
    const type = TAG_ENTITY[open.name] ?? "";
    const entity: ParsedEntity = { type, offset: open.offset, length: text.length - open.offset };
    if (open.name === "a") entity.url = open.attrs.get("href");
    if (open.name === "tg-emoji") entity.custom_emoji_id = open.attrs.get("emoji-id");
    if (open.name === "pre" && open.language) entity.language = open.language;
    if (open.name === "blockquote" && open.attrs.has("expandable")) entity.type = "expandable_blockquote";
    const complete = (open.name !== "a" || entity.url) && (open.name !== "tg-emoji" || entity.custom_emoji_id);
    if (entity.length > 0 && complete) entities.push(entity);
    return start + tag[0].length;
  };

  let i = 0;
  while (i < html.length) {
    const c = html[i];
    if (c === "<") {
      i = html[i + 1] === "/" ? closeTag(i) : openTag(i);
    } else if (c === "&") {
      REFERENCE.lastIndex = i;
      const ref = REFERENCE.exec(html);
      const decoded = ref ? decodeReference(ref[1] ?? "") : undefined;
      if (!ref) throw error(`Character "&" must be escaped as "&amp;" ${at(i)}`);
      if (decoded === undefined) throw error(`Unsupported HTML entity "${ref[0]}" ${at(i)}`);
      text += decoded;
      i += ref[0].length;
    } else {
      text += c;
      i++;
    }
  }
  const unclosed = stack.at(-1);
  if (unclosed) throw error(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

/** Telegram strips leading and trailing whitespace and clips entities to what is left. */
function trimFormatted({ text, entities }: FormattedText): FormattedText {
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const clip = (e: ParsedEntity) => {
    const offset = Math.max(e.offset - lead, 0);
    return { ...e, offset, length: Math.min(e.offset + e.length - lead, trimmed.length) - offset };
  };
  return { text: trimmed, entities: entities.map(clip).filter((e) => e.length > 0) };
}

// ─── What the server keeps ──────────────────────────────────────────────────

type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply;
export type Params = Record<string, unknown>;

/** One message the bot sent, as the officer sees it now (`ChatLog.events` keeps snapshots). */
export interface BotMessage {
  messageId: number;
  chatId: number;
  text: string; // after parsing (the caption, for a document)
  rawText: string; // as the bot sent it
  parseMode?: string;
  entities: ParsedEntity[];
  replyMarkup?: ReplyMarkup;
  document?: StoredFile;
  edited: boolean;
  deleted: boolean;
  sentAt: number;
  editedAt?: number;
}
export interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  filePath: string;
  fileName?: string;
  mimeType?: string;
  bytes: Buffer;
}
export interface BotDocument extends StoredFile {
  messageId: number;
  caption: string;
  sentAt: number;
}
export interface ApiCall {
  method: string;
  params: Params;
  at: number;
}
export interface ApiFailure extends ApiCall {
  status: number;
  description: string;
}
export interface CallbackQueryRecord {
  id: string;
  chatId: number;
  data: string;
  answer?: { text?: string; show_alert?: boolean; url?: string };
}
interface StoredMessage {
  message: Message; // the Telegram object, as the Bot API would return it now
  bot?: BotMessage; // set for the bot's own messages
  deleted: boolean;
}

/** Everything that happened in one chat. */
export class ChatLog {
  readonly messages = new Map<number, StoredMessage>();
  readonly events: BotMessage[] = []; // a snapshot of every send and edit, in order
  readonly documents: BotDocument[] = [];
  readonly actions: { action: string; at: number }[] = [];
  readonly listeners = new Set<() => void>();
  nextMessageId = 1; // one sequence for both sides, as in a private chat
  constructor(readonly chat: Chat) {}
  record(bot: BotMessage): void {
    this.events.push({ ...bot }); // edits replace fields and never mutate them, so a shallow copy is a snapshot
    for (const listener of [...this.listeners]) listener();
  }
}

/** The labels of a message's inline keyboard, row by row. */
export function buttonTexts(message: BotMessage): string[][] {
  return inlineOnly(message.replyMarkup)?.inline_keyboard.map((row) => row.map((b) => b.text)) ?? [];
}

// ─── Parameters and Telegram's refusals ─────────────────────────────────────

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number },
  ) {
    super(description);
  }
}

/** A refusal a test asks for: Telegram's answer to the next matching calls. */
export interface Refusal {
  /** Method name, any case (e.g. "sendMessage"). */
  method: string;
  /**
   * 403: the officer blocked the bot; 429: too many requests (with
   * `retryAfter` seconds); "hold": no answer at all until the server closes
   * (the message is not delivered), e.g. to kill the bot while it waits.
   */
  status: 403 | 429 | "hold";
  retryAfter?: number;
  /** How many matching calls are refused (default 1). */
  times?: number;
  /** Only calls whose parameters match (e.g. a chat). */
  when?: (params: Params) => boolean;
}
const REFUSALS = { 403: "Forbidden: bot was blocked by the user", 429: "Too Many Requests: retry after" } as const;
const bad = (why: string) => new ApiError(400, `Bad Request: ${why}`);
/** Methods that send a message, counted by the flood control. */
const SENDS = new Set(["sendmessage", "senddocument", "sendphoto", "copymessage", "forwardmessage"]);

const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid";
const CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
// biome-ignore format: a list
const CHAT_ACTIONS = new Set([
  "typing", "choose_sticker", "find_location", "upload_photo", "upload_document", "record_video", "upload_video",
  "record_voice", "upload_voice", "record_video_note", "upload_video_note",
]);
const NOT_BY_DEFAULT = new Set(["chat_member", "message_reaction", "message_reaction_count"]);
// biome-ignore format: a table
const MIME_BY_EXTENSION: Record<string, string> = {
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pdf: "application/pdf", txt: "text/plain", csv: "text/csv", json: "application/json", zip: "application/zip",
};

function optString(p: Params, key: string): string | undefined {
  const v = p[key];
  return v === undefined || v === null ? undefined : String(v);
}
function optInt(p: Params, key: string): number | undefined {
  if (p[key] === undefined || p[key] === null || p[key] === "") return undefined;
  const n = Number(p[key]);
  if (!Number.isSafeInteger(n)) throw bad(`wrong ${key} specified`);
  return n;
}
/** Objects arrive as JSON values, or as JSON strings in form and multipart bodies. */
function optJson<T>(p: Params, key: string): T | undefined {
  const v = p[key];
  if (typeof v !== "string") return v === null ? undefined : (v as T | undefined);
  try {
    return JSON.parse(v) as T;
  } catch {
    throw bad(`can't parse ${key === "reply_markup" ? "reply keyboard markup" : key} JSON object`);
  }
}
/** JSON with sorted keys and no nulls, to compare markup and entities by value. */
function canonical(value: unknown): string {
  const sorted = (v: object) =>
    Object.entries(v)
      .filter(([, x]) => x != null)
      .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(sorted(v)) : v,
  );
}

type Content = Pick<BotMessage, "text" | "entities" | "rawText" | "parseMode">;
function formatText(p: Params, kind: "text" | "caption"): Content {
  const rawText = optString(p, kind) ?? "";
  const parseMode = optString(p, "parse_mode") || undefined;
  let parsed: FormattedText = {
    text: rawText,
    entities: optJson(p, `${kind === "text" ? "" : "caption_"}entities`) ?? [],
  };
  if (parseMode?.toLowerCase() === "html") {
    try {
      parsed = parseHtml(rawText);
    } catch (err) {
      throw err instanceof HtmlParseError ? bad(`can't parse entities: ${err.message}`) : err;
    }
  } else if (parseMode) {
    throw bad(`parse_mode "${parseMode}" is not implemented by the fake Bot API server (only HTML)`);
  }
  const { text, entities } = trimFormatted(parsed);
  if (kind === "text" && text.length === 0) throw bad("message text is empty");
  if (kind === "text" && text.length > 4096) throw bad("message is too long");
  if (kind === "caption" && text.length > 1024) throw bad("message caption is too long");
  return { text, entities, rawText, parseMode };
}

function checkMarkup(markup: unknown): ReplyMarkup | undefined {
  if (markup === undefined) return undefined;
  if (typeof markup !== "object" || markup === null) throw bad("can't parse reply keyboard markup JSON object");
  const rows = (markup as { inline_keyboard?: unknown }).inline_keyboard;
  if (rows === undefined) return markup as ReplyMarkup; // a reply keyboard, remove_keyboard, force_reply
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    throw bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  for (const button of rows.flat() as Record<string, unknown>[]) {
    if (typeof button?.text !== "string") throw bad("can't parse inline keyboard button: Text must be a String");
    const data = button.callback_data;
    if (data !== undefined && (typeof data !== "string" || data === "" || Buffer.byteLength(data) > 64)) {
      throw bad("BUTTON_DATA_INVALID");
    }
    if (Object.keys(button).length === 1) {
      throw bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
    }
  }
  return markup as InlineKeyboardMarkup;
}
function inlineOnly(markup?: ReplyMarkup): InlineKeyboardMarkup | undefined {
  return markup && "inline_keyboard" in markup ? markup : undefined;
}

// ─── Request bodies: JSON, urlencoded, multipart ────────────────────────────

interface Upload {
  fileName: string;
  contentType: string;
  bytes: Buffer;
}
interface Body {
  params: Params;
  uploads: Map<string, Upload>;
}

async function readBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers["content-type"] ?? "";
  const boundary = /^multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
  if (body.length === 0) return { params: {}, uploads: new Map() };
  if (boundary) return parseMultipart(body, boundary[1] ?? boundary[2] ?? "");
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return { params: Object.fromEntries(new URLSearchParams(body.toString("utf8"))), uploads: new Map() };
  }
  if (!type.startsWith("application/json")) throw bad(`unsupported Content-Type "${type}"`);
  let params: unknown;
  try {
    params = JSON.parse(body.toString("utf8"));
  } catch {}
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw bad("can't parse JSON object");
  return { params: params as Params, uploads: new Map() };
}

/**
 * grammY writes `content-disposition:form-data;name="<id>";filename=<name>` (no
 * spaces, the file name unquoted and last) and sends the file's field as
 * "attach://<id>"; undici's FormData quotes the name. Both are read here.
 */
function parseMultipart(body: Buffer, boundary: string): Body {
  const result: Body = { params: {}, uploads: new Map() };
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(`--${boundary}`);
  while (pos >= 0) {
    const start = pos + boundary.length + 2;
    if (body.subarray(start, start + 2).toString() === "--") break; // the closing delimiter
    const end = body.indexOf(delimiter, start);
    if (end < 0) throw bad("can't parse multipart/form-data body");
    const part = body.subarray(start + 2, end); // after the CRLF that ends the delimiter line
    const headerEnd = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, headerEnd).toString("utf8").split("\r\n");
    const header = (name: string) =>
      headers.find((h) => h.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1) ?? "";
    const disposition = header("content-disposition");
    const name = /(?:^|;)\s*name=(?:"([^"]*)"|([^;]*))/i.exec(disposition);
    const field = name?.[1] ?? name?.[2]?.trim() ?? "";
    const starred = /(?:^|;)\s*filename\*=(?:[\w-]*'[^']*')?([^;]+)/i.exec(disposition)?.[1];
    const plain = /(?:^|;)\s*filename=(?:"([^"]*)"|(.*))$/i.exec(disposition);
    const content = part.subarray(headerEnd + 4);
    if (starred || plain) {
      const fileName = starred ? decodeURIComponent(starred) : (plain?.[1] ?? plain?.[2]?.trim() ?? "");
      result.uploads.set(field, { fileName, contentType: header("content-type").trim(), bytes: Buffer.from(content) });
    } else {
      result.params[field] = content.toString("utf8");
    }
    pos = end + 2;
  }
  return result;
}

/** grammY labels every upload application/octet-stream; Telegram then infers the type from the name. */
function guessMime(fileName: string, declared = ""): string {
  if (declared && declared !== "application/octet-stream") return declared;
  return MIME_BY_EXTENSION[fileName.split(".").pop()?.toLowerCase() ?? ""] ?? "application/octet-stream";
}

// ─── The server ─────────────────────────────────────────────────────────────

export interface FakeTelegramOptions {
  token: string;
  botUser?: Partial<UserFromGetMe>;
  /**
   * Telegram's flood control, bot-wide: a message beyond `perSecond` in the
   * last second is refused with 429 and `retry_after` (bench/reminders.ts).
   */
  rateLimit?: { perSecond: number; retryAfter: number };
}
interface Poller {
  wake(): void;
  end(): void;
  conflict(): void;
}
type Handler = (p: Params, uploads: Map<string, Upload>, res: ServerResponse) => unknown;
const seconds = (ms: number) => Math.floor(ms / 1000);
const fileFields = (f: StoredFile) => ({
  file_id: f.fileId,
  file_unique_id: f.fileUniqueId,
  file_size: f.bytes.length,
});

export class FakeTelegram {
  readonly errors: ApiFailure[] = []; // every refusal, 4xx and 5xx
  readonly calls: ApiCall[] = [];
  readonly queries = new Map<string, CallbackQueryRecord>();
  readonly botUser: UserFromGetMe;
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly chats = new Map<number, ChatLog>();
  private readonly files = new Map<string, StoredFile>();
  private readonly commands = new Map<string, BotCommand[]>();
  private pending: Update[] = [];
  private allowedUpdates?: Set<string>;
  private poller?: Poller;
  /** Set by setWebhook: updates are then posted there (retried until 200) instead of polled. */
  webhook?: { url: string; secret?: string };
  /** Where webhook posts really go (the HTTPS proxy's job in production): public URL → local address. */
  webhookProxy?: (url: string) => string;
  private delivering = false;
  private nextUpdateId = 5_100_001; // high enough for jumps down by 10^6 to stay positive
  /** Arrival order of every update issued (offsets confirm by it), and where the last jump of ids was. */
  private readonly issued = new Map<number, number>();
  private issuedCount = 0;
  private jumpedAt = 0;
  private readonly refusals: (Refusal & { left: number })[] = [];
  private readonly sentUpdates = new Map<number, Update>();
  private sequence = 0;
  private closing = false;

  constructor(private readonly options: FakeTelegramOptions) {
    this.botUser = botInfo({
      id: Number(options.token.split(":")[0]) || 1,
      first_name: "Test Bot",
      username: "test_bot",
      can_join_groups: true,
      ...options.botUser,
    });
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", resolve);
    });
  }

  /** Ends a waiting getUpdates with [] and closes every connection. Stop the bot first. */
  close(): Promise<void> {
    this.closing = true;
    this.poller?.end();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** A user and their chat: private by default; a group chat is shared by its id (default -id). */
  user(spec: { id: number; first_name: string; username?: string; chatType?: "private" | "group"; chatId?: number }) {
    const { id, first_name, username } = spec;
    const user: User = { id, is_bot: false, first_name, language_code: "zh-hans", ...(username ? { username } : {}) };
    const group = spec.chatType === "group";
    const chatId = spec.chatId ?? (group ? -id : id);
    const chat: Chat = group
      ? { id: chatId, type: "group", title: "测试群" }
      : { id: chatId, type: "private", first_name, ...(username ? { username } : {}) };
    const log = this.chats.get(chatId) ?? new ChatLog(chat);
    this.chats.set(chatId, log);
    return new Officer(this, log, user);
  }

  chat(chatId: number): ChatLog | undefined {
    return this.chats.get(chatId);
  }

  /** The commands set with setMyCommands for a scope and language. */
  myCommands(scope: object = { type: "default" }, languageCode = ""): BotCommand[] {
    return this.commands.get(`${canonical(scope)}|${languageCode}`) ?? [];
  }

  /** Queues an update with the next update_id and wakes a waiting getUpdates. */
  pushUpdate(body: Omit<Update, "update_id">): Update {
    const update = { update_id: this.nextUpdateId++, ...body } as Update;
    this.issued.set(update.update_id, ++this.issuedCount);
    this.sentUpdates.set(update.update_id, update);
    this.pending.push(update);
    if (this.webhook) void this.deliver();
    else setImmediate(() => this.poller?.wake()); // updates pushed together arrive in one batch
    return update;
  }

  /** Posts pending updates to the webhook one by one, as Telegram does: each again until answered 200. */
  private async deliver(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.webhook && this.pending.length > 0 && !this.closing) {
        const { url, secret } = this.webhook;
        const update = this.pending[0]!;
        const status = await fetch(this.webhookProxy ? this.webhookProxy(url) : url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(secret ? { "x-telegram-bot-api-secret-token": secret } : {}),
          },
          body: JSON.stringify(update),
        }).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) this.pending.shift();
        else await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      this.delivering = false;
    }
  }

  /**
   * Moves the next update_id by `delta` (e.g. -1_000_000), as Telegram does
   * after a week without updates ("chosen randomly instead of sequentially").
   * The bot's old offset then confirms none of the new updates.
   */
  jumpUpdateIds(delta: number): void {
    this.nextUpdateId += delta;
    this.jumpedAt = this.issuedCount;
  }

  /**
   * Delivers an update again with its own update_id, as Telegram does when the
   * bot did not confirm it (the bot died, or an inbox retries).
   */
  redeliver(updateId: number): Update {
    const update = this.sentUpdates.get(updateId);
    if (!update) throw new Error(`no update ${updateId} was issued`);
    this.pending.push(update);
    setImmediate(() => this.poller?.wake());
    return update;
  }

  /** The update_id of the newest update queued so far. */
  get lastUpdateId(): number {
    return [...this.sentUpdates.keys()].at(-1) ?? 0;
  }

  /** Refuses the next matching calls (403 blocked, 429 with retry_after) instead of handling them. */
  refuse(refusal: Refusal): void {
    this.refusals.push({ ...refusal, left: refusal.times ?? 1 });
  }

  private refusalFor(method: string, params: Params): ApiError | "hold" | undefined {
    const rule = this.refusals.find(
      (r) => r.left > 0 && r.method.toLowerCase() === method.toLowerCase() && (r.when?.(params) ?? true),
    );
    if (!rule) return undefined;
    rule.left--;
    if (rule.status === "hold") return "hold";
    if (rule.status === 403) return new ApiError(403, REFUSALS[403]);
    const retryAfter = rule.retryAfter ?? 1;
    return new ApiError(429, `${REFUSALS[429]} ${retryAfter}`, { retry_after: retryAfter });
  }

  /** Messages accepted in the last second, for the flood control (oldest first). */
  private readonly recentSends: number[] = [];

  private overRate(method: string): ApiError | undefined {
    const limit = this.options.rateLimit;
    if (!limit || !SENDS.has(method.toLowerCase())) return undefined;
    const now = Date.now();
    while (this.recentSends.length > 0 && (this.recentSends[0] ?? 0) <= now - 1000) this.recentSends.shift();
    if (this.recentSends.length >= limit.perSecond)
      return new ApiError(429, `${REFUSALS[429]} ${limit.retryAfter}`, { retry_after: limit.retryAfter });
    this.recentSends.push(now);
    return undefined;
  }

  /** Makes bytes available to getFile and the download route. */
  registerFile(bytes: Uint8Array, fileName?: string, mimeType?: string): StoredFile {
    const n = ++this.sequence;
    const extension = fileName?.includes(".") ? `.${fileName.split(".").pop()}` : "";
    const file: StoredFile = {
      fileId: `BQACAgUAAxkBAAI${n}`,
      fileUniqueId: `AgAD${n}`,
      filePath: `documents/file_${n}${extension}`,
      bytes: Buffer.from(bytes),
      ...(fileName ? { fileName } : {}),
      ...(mimeType ? { mimeType } : {}),
    };
    this.files.set(file.fileId, file);
    return file;
  }

  nextQueryId(): string {
    return `${this.botUser.id}${++this.sequence}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    const route = /^\/bot([^/]*)\/([^/]*)$/.exec(url.pathname);
    const method = route?.[2] ?? url.pathname;
    let params: Params = {};
    try {
      if (!file && !route) throw new ApiError(404, "Not Found");
      if ((file ?? route)?.[1] !== this.options.token) throw new ApiError(401, "Unauthorized");
      if (file) return this.download(res, decodeURIComponent(file[2] ?? ""));
      const handler = this.methods[method.toLowerCase()];
      if (!handler) throw new ApiError(404, "Not Found");
      const body = await readBody(req);
      params = { ...Object.fromEntries(url.searchParams), ...body.params };
      this.calls.push({ method, params, at: Date.now() });
      const refused = this.refusalFor(method, params) ?? this.overRate(method);
      if (refused === "hold") return;
      if (refused) throw refused;
      send(res, 200, { ok: true, result: await handler(params, body.uploads, res) });
    } catch (err) {
      if (res.destroyed || req.socket.destroyed) return; // the client went away (an aborted long poll)
      const e = err instanceof ApiError ? err : new ApiError(500, `Internal Server Error: ${String(err)}`);
      this.errors.push({ method, params, at: Date.now(), status: e.status, description: e.description });
      const parameters = e.parameters ? { parameters: e.parameters } : {};
      send(res, e.status, { ok: false, error_code: e.status, description: e.description, ...parameters });
    }
  }

  private download(res: ServerResponse, path: string): void {
    const file = [...this.files.values()].find((f) => f.filePath === path);
    if (!file) throw new ApiError(404, "Not Found");
    res.writeHead(200, { "content-type": file.mimeType ?? "application/octet-stream" });
    res.end(file.bytes);
  }

  private chatFor(p: Params): ChatLog {
    const id = optString(p, "chat_id");
    if (!id) throw bad("chat_id is empty");
    const log = this.chats.get(Number(id));
    if (!log) throw bad("chat not found");
    return log;
  }

  private readonly methods: Record<string, Handler> = {
    getme: () => this.botUser,
    deletewebhook: (p) => {
      if (String(p.drop_pending_updates) === "true") this.pending = [];
      this.webhook = undefined;
      return true;
    },
    setwebhook: (p) => {
      const url = optString(p, "url");
      if (!url) throw bad('parameter "url" is required');
      const secret = optString(p, "secret_token");
      this.webhook = { url, ...(secret ? { secret } : {}) };
      void this.deliver();
      return true;
    },
    getupdates: (p, _uploads, res) => {
      if (this.webhook)
        throw new ApiError(
          409,
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        );
      return this.getUpdates(p, res);
    },
    setmycommands: (p) => {
      const commands = optJson<BotCommand[]>(p, "commands");
      if (!Array.isArray(commands)) throw bad('parameter "commands" is required');
      for (const c of commands) {
        if (!/^[a-z0-9_]{1,32}$/.test(String(c?.command))) throw bad("BOT_COMMAND_INVALID");
        const length = String(c.description ?? "").length;
        if (length < 1 || length > 256) throw bad("BOT_COMMAND_DESCRIPTION_INVALID");
      }
      this.commands.set(this.commandsKey(p), commands);
      return true;
    },
    getmycommands: (p) => this.commands.get(this.commandsKey(p)) ?? [],
    sendmessage: (p) => {
      const log = this.chatFor(p);
      return this.addBotMessage(log, {
        ...formatText(p, "text"),
        replyMarkup: checkMarkup(optJson(p, "reply_markup")),
      });
    },
    senddocument: (p, uploads) => {
      const log = this.chatFor(p);
      const document = this.documentFrom(p, uploads);
      const content = formatText(p, "caption");
      return this.addBotMessage(log, { ...content, document, replyMarkup: checkMarkup(optJson(p, "reply_markup")) });
    },
    editmessagetext: (p) => {
      const { log, stored, bot } = this.editable(p);
      if (bot.document) throw bad("there is no text in the message to edit");
      const content = formatText(p, "text");
      return this.applyEdit(log, stored, {
        ...content,
        replyMarkup: inlineOnly(checkMarkup(optJson(p, "reply_markup"))),
      });
    },
    editmessagereplymarkup: (p) => {
      const { log, stored } = this.editable(p);
      return this.applyEdit(log, stored, { replyMarkup: inlineOnly(checkMarkup(optJson(p, "reply_markup"))) });
    },
    deletemessage: (p) => {
      const stored = this.chatFor(p).messages.get(optInt(p, "message_id") ?? 0);
      if (!stored || stored.deleted) throw bad("message to delete not found");
      stored.deleted = true;
      if (stored.bot) stored.bot.deleted = true;
      return true;
    },
    answercallbackquery: (p) => {
      const query = this.queries.get(optString(p, "callback_query_id") ?? "");
      if (!query || query.answer) throw bad(QUERY_INVALID); // unknown, or answered already
      const show_alert = String(p.show_alert) === "true";
      query.answer = { text: optString(p, "text"), show_alert, url: optString(p, "url") };
      return true;
    },
    sendchataction: (p) => {
      const log = this.chatFor(p);
      const action = optString(p, "action") ?? "";
      if (!CHAT_ACTIONS.has(action)) throw bad("wrong parameter action in request");
      log.actions.push({ action, at: Date.now() });
      return true;
    },
    getfile: (p) => {
      const file = this.files.get(optString(p, "file_id") ?? "");
      if (!file) throw bad("invalid file_id");
      return { ...fileFields(file), file_path: file.filePath };
    },
  };

  private commandsKey(p: Params): string {
    return `${canonical(optJson(p, "scope") ?? { type: "default" })}|${optString(p, "language_code") ?? ""}`;
  }

  /**
   * Real long polling: answers at once when updates are pending, otherwise waits
   * up to `timeout` seconds. A newer getUpdates ends the waiting one with 409.
   */
  private getUpdates(p: Params, res: ServerResponse): Update[] | Promise<Update[]> {
    const offset = optInt(p, "offset");
    const limit = Math.min(Math.max(optInt(p, "limit") ?? 100, 1), 100);
    const timeout = Math.max(optInt(p, "timeout") ?? 0, 0);
    const allowed = optJson<string[]>(p, "allowed_updates");
    if (allowed) this.allowedUpdates = allowed.length > 0 ? new Set(allowed) : undefined; // kept, like Telegram
    if (offset !== undefined) this.confirm(offset);
    const previous = this.poller;
    this.poller = undefined;
    previous?.conflict();
    const take = () => {
      this.pending = this.pending.filter((u) => this.isAllowed(u)); // Telegram never stores what is not allowed
      return this.pending.slice(0, limit);
    };
    const ready = take();
    if (ready.length > 0 || timeout === 0 || this.closing) return ready;
    return new Promise<Update[]>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.poller === poller) this.poller = undefined;
        settle();
      };
      const timer = setTimeout(() => finish(() => resolve(take())), timeout * 1000);
      const poller: Poller = {
        wake: () => take().length > 0 && finish(() => resolve(take())),
        end: () => finish(() => resolve([])),
        // Answered a moment later, so that a request its client has just aborted is seen closed, not counted.
        conflict: () => finish(() => setTimeout(() => reject(new ApiError(409, CONFLICT)), 50)),
      };
      this.poller = poller;
      res.on("close", () => finish(() => resolve([])));
    });
  }

  /**
   * Confirms (forgets) the updates before `offset`; a negative offset keeps
   * only the last -offset ones. An offset one past an issued update confirms
   * everything that arrived up to it; any other offset confirms by id, but
   * never an update issued after a jump of the ids.
   */
  private confirm(offset: number): void {
    if (offset < 0) {
      this.pending = this.pending.slice(offset);
      return;
    }
    const through = this.issued.get(offset - 1);
    const arrival = (u: Update) => this.issued.get(u.update_id) ?? 0;
    this.pending =
      through !== undefined
        ? this.pending.filter((u) => arrival(u) > through)
        : this.pending.filter((u) => u.update_id >= offset || arrival(u) > this.jumpedAt);
  }

  private isAllowed(update: Update): boolean {
    const type = Object.keys(update).find((k) => k !== "update_id") ?? "";
    return this.allowedUpdates ? this.allowedUpdates.has(type) : !NOT_BY_DEFAULT.has(type);
  }

  private documentFrom(p: Params, uploads: Map<string, Upload>): StoredFile {
    const ref = optString(p, "document");
    const upload = uploads.get(ref?.startsWith("attach://") ? ref.slice("attach://".length) : "document");
    if (upload) return this.registerFile(upload.bytes, upload.fileName, guessMime(upload.fileName, upload.contentType));
    if (!ref) throw bad("there is no document in the request");
    const known = this.files.get(ref); // re-sent by file_id
    if (!known) throw bad("wrong file identifier/HTTP URL specified");
    return known;
  }

  private addBotMessage(log: ChatLog, content: Content & Pick<BotMessage, "replyMarkup" | "document">): Message {
    const [messageId, sentAt] = [log.nextMessageId++, Date.now()];
    const bot: BotMessage = { ...content, messageId, chatId: log.chat.id, edited: false, deleted: false, sentAt };
    const message = this.toTelegram(log, bot);
    log.messages.set(messageId, { message, bot, deleted: false });
    if (bot.document) log.documents.push({ ...bot.document, messageId, caption: bot.text, sentAt });
    log.record(bot);
    return message;
  }

  private editable(p: Params): { log: ChatLog; stored: StoredMessage & { bot: BotMessage }; bot: BotMessage } {
    const log = this.chatFor(p);
    const id = optInt(p, "message_id");
    if (id === undefined) throw bad("message identifier is not specified");
    const stored = log.messages.get(id);
    if (!stored || stored.deleted) throw bad("message to edit not found");
    if (!stored.bot) throw bad("message can't be edited");
    return { log, stored: stored as StoredMessage & { bot: BotMessage }, bot: stored.bot };
  }

  /** Without reply_markup an edit removes the inline keyboard, as on Telegram. */
  private applyEdit(log: ChatLog, stored: StoredMessage & { bot: BotMessage }, change: Partial<BotMessage>): Message {
    const shown = (m: BotMessage) => canonical([m.text, m.entities, inlineOnly(m.replyMarkup) ?? null]);
    if (shown({ ...stored.bot, ...change }) === shown(stored.bot)) throw bad(NOT_MODIFIED);
    Object.assign(stored.bot, change, { edited: true, editedAt: Date.now() });
    stored.message = this.toTelegram(log, stored.bot);
    log.record(stored.bot);
    return stored.message;
  }

  /** The Message object Telegram returns for a bot message (it echoes only inline keyboards). */
  private toTelegram(log: ChatLog, bot: BotMessage): Message {
    const { id, is_bot, first_name, username } = this.botUser;
    const entities = bot.entities.length > 0 ? bot.entities : undefined;
    const doc = bot.document;
    const body = doc
      ? {
          document: { ...fileFields(doc), file_name: doc.fileName, mime_type: doc.mimeType },
          caption: bot.text || undefined,
          caption_entities: entities,
        }
      : { text: bot.text, entities };
    const message = {
      message_id: bot.messageId,
      from: { id, is_bot, first_name, username },
      chat: log.chat,
      date: seconds(bot.sentAt),
      edit_date: bot.editedAt && seconds(bot.editedAt),
      ...body,
      reply_markup: inlineOnly(bot.replyMarkup),
    };
    return JSON.parse(JSON.stringify(message)) as Message; // drops undefined fields, as Telegram omits them
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startFakeTelegram(options: FakeTelegramOptions): Promise<FakeTelegram> {
  const fake = new FakeTelegram(options);
  await fake.listen();
  return fake;
}

// ─── The officer's hands ────────────────────────────────────────────────────

/** Commands get a bot_command entity, as Telegram marks them. */
function commandEntities(text: string): { entities?: ParsedEntity[] } {
  const matches = [...text.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?![\w@])/g)];
  const entities = matches.map((m) => {
    const [, before = "", command = ""] = m;
    return { type: "bot_command", offset: (m.index ?? 0) + before.length, length: command.length };
  });
  return entities.length > 0 ? { entities } : {};
}

export class Officer {
  private replyCursor: number; // events before it happened before the officer's last action
  private documentCursor: number;

  constructor(
    private readonly fake: FakeTelegram,
    readonly log: ChatLog,
    readonly user: User,
  ) {
    this.replyCursor = log.events.length;
    this.documentCursor = log.documents.length;
  }

  get chatId(): number {
    return this.log.chat.id;
  }

  send(text: string): Message {
    return this.pushMessage({ text, ...commandEntities(text) });
  }

  /** Edits one of this officer's own messages (an edited_message update). */
  edit(messageId: number, text: string): Message {
    const stored = this.log.messages.get(messageId);
    if (!stored || stored.bot || stored.message.from?.id !== this.user.id) {
      throw new Error(`message ${messageId} is not a message ${this.user.first_name} sent`);
    }
    const { entities: _, ...rest } = stored.message;
    stored.message = { ...rest, text, edit_date: seconds(Date.now()), ...commandEntities(text) } as Message;
    this.act();
    this.fake.pushUpdate({ edited_message: stored.message as Update["edited_message"] });
    return stored.message;
  }

  sendSticker(): Message {
    const file = this.fake.registerFile(Buffer.from("RIFF\0\0\0\0WEBP"), "sticker.webp", "image/webp");
    const shape = { type: "regular", width: 512, height: 512, is_animated: false, is_video: false, emoji: "👍" };
    return this.pushMessage({ sticker: { ...fileFields(file), ...shape } });
  }

  sendPhoto(caption?: string): Message {
    const file = this.fake.registerFile(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), undefined, "image/jpeg");
    const sizes = [90, 800].map((side) => ({ ...fileFields(file), width: side, height: side }));
    return this.pushMessage({ photo: sizes, ...(caption ? { caption } : {}) });
  }

  sendVoice(): Message {
    const file = this.fake.registerFile(Buffer.from("OggS"), undefined, "audio/ogg");
    return this.pushMessage({ voice: { ...fileFields(file), duration: 3, mime_type: "audio/ogg" } });
  }

  /** Registers the bytes for getFile and sends them as a document (with the caption typed under it, if any). */
  sendDocument(fileName: string, bytes: Uint8Array, mimeType = guessMime(fileName), caption?: string): Message {
    const file = this.fake.registerFile(bytes, fileName, mimeType);
    return this.pushMessage({
      document: { ...fileFields(file), file_name: fileName, mime_type: mimeType },
      ...(caption ? { caption } : {}),
    });
  }

  /** Presses a callback button on the newest bot message with an inline keyboard (or the given one); returns the query id. */
  press(button: string | RegExp, opts: { messageId?: number } = {}): string {
    const hasKeyboard = (m?: StoredMessage) => (m?.bot && !m.deleted ? inlineOnly(m.bot.replyMarkup) : undefined);
    const stored =
      opts.messageId !== undefined
        ? this.log.messages.get(opts.messageId)
        : [...this.log.messages.values()].reverse().find(hasKeyboard);
    const buttons: InlineKeyboardButton[] = hasKeyboard(stored)?.inline_keyboard.flat() ?? [];
    const found = buttons.find((b) => (typeof button === "string" ? b.text === button : button.test(b.text)));
    if (!stored || !found) {
      const where = stored ? `on message ${stored.message.message_id}` : "(no bot message with an inline keyboard)";
      throw new Error(`no button ${String(button)} ${where}; buttons: ${buttons.map((b) => b.text).join(" · ")}`);
    }
    if (!("callback_data" in found)) throw new Error(`button "${found.text}" has no callback_data`);
    return this.pressData(found.callback_data, stored.message.message_id);
  }

  /** Any callback data on any message id: forged data, or a stale button on an old or deleted message. */
  pressData(data: string, messageId: number): string {
    const stored = this.log.messages.get(messageId);
    const gone = { chat: this.log.chat, message_id: messageId, date: 0 as const }; // an InaccessibleMessage
    const message = stored && !stored.deleted ? stored.message : gone;
    const id = this.fake.nextQueryId();
    this.fake.queries.set(id, { id, chatId: this.chatId, data });
    this.act();
    this.fake.pushUpdate({ callback_query: { id, from: this.user, message, chat_instance: `${this.chatId}`, data } });
    return id;
  }

  /** The next message the bot sent or edited in this chat after this officer's last action. */
  nextReply({ timeoutMs = 10_000 } = {}): Promise<BotMessage> {
    return this.waitFor(
      "reply",
      timeoutMs,
      () => this.log.events[this.replyCursor] && this.log.events[this.replyCursor++],
    );
  }

  /** The next document the bot sent in this chat after this officer's last action. */
  waitForDocument({ timeoutMs = 10_000 } = {}): Promise<BotDocument> {
    const next = () => this.log.documents[this.documentCursor] && this.log.documents[this.documentCursor++];
    return this.waitFor("document", timeoutMs, next);
  }

  /** Every message the bot sent in this chat, in its current state. */
  get replies(): BotMessage[] {
    return [...this.log.messages.values()].flatMap((m) => (m.bot ? [m.bot] : []));
  }

  lastReply(): BotMessage | undefined {
    return this.replies.at(-1);
  }

  get documents(): BotDocument[] {
    return this.log.documents;
  }

  get chatActions(): { action: string; at: number }[] {
    return this.log.actions;
  }

  /** This chat's callback queries, with the bot's answers (toast text, alert). */
  get answers(): CallbackQueryRecord[] {
    return [...this.fake.queries.values()].filter((q) => q.chatId === this.chatId);
  }

  private act(): void {
    this.replyCursor = this.log.events.length;
    this.documentCursor = this.log.documents.length;
  }

  private pushMessage(content: object): Message {
    this.act();
    const head = { message_id: this.log.nextMessageId++, from: this.user, chat: this.log.chat };
    const message = { ...head, date: seconds(Date.now()), ...content } as Message;
    this.log.messages.set(message.message_id, { message, deleted: false });
    this.fake.pushUpdate({ message: message as Update["message"] });
    return message;
  }

  private waitFor<T>(what: string, timeoutMs: number, take: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = take();
        if (value !== undefined) resolve(value);
        return value !== undefined;
      };
      if (check()) return;
      const listener = () => check() && stop();
      const stop = () => {
        clearTimeout(timer);
        this.log.listeners.delete(listener);
      };
      const timer = setTimeout(() => {
        stop();
        const refusals = this.fake.errors.slice(-5).map((e) => `${e.method}: ${e.description}`);
        const why = refusals.length > 0 ? `; latest refusals: ${refusals.join(" | ")}` : "";
        reject(new Error(`no ${what} from the bot in chat ${this.chatId} within ${timeoutMs} ms${why}`));
      }, timeoutMs);
      this.log.listeners.add(listener);
    });
  }
}
