import { createHash } from "node:crypto";
import { run } from "@grammyjs/runner";
import { Api, Bot, InlineKeyboard, InputFile } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buttonTexts, type FakeTelegram, startFakeTelegram } from "./support/fake-telegram.js";

const TOKEN = "123456:TEST-token";
const OFFICER = { id: 7001, first_name: "王科长", username: "wang" };
const REPORT = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256)); // not valid UTF-8: a byte-exact check

let fake: FakeTelegram;
beforeEach(async () => {
  fake = await startFakeTelegram({ token: TOKEN });
});
afterEach(async () => {
  await fake.close();
});

interface ApiAnswer {
  ok: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: raw Bot API answers are read field by field
  result?: any;
  error_code?: number;
  description?: string;
}
async function call(method: string, body: object = {}, token = TOKEN): Promise<{ status: number; body: ApiAnswer }> {
  const res = await fetch(`${fake.apiRoot}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiAnswer };
}
async function refusal(method: string, body: object): Promise<string | undefined> {
  const { status, body: answer } = await call(method, body);
  expect(status).toBe(400);
  expect(answer).toMatchObject({ ok: false, error_code: 400 });
  return answer.description;
}
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex").slice(0, 16);
const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

describe("routing", () => {
  it("answers getMe through grammY's Api pointed at the fake", async () => {
    const api = new Api(TOKEN, { apiRoot: fake.apiRoot });
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 123456, is_bot: true, username: "test_bot" });
  });

  it("refuses a wrong token with 401 Unauthorized and records it", async () => {
    const { status, body } = await call("getMe", {}, "999:wrong");
    expect(status).toBe(401);
    expect(body).toEqual({ ok: false, error_code: 401, description: "Unauthorized" });
    expect(fake.errors.map((e) => e.status)).toEqual([401]);
  });

  it("answers an unknown method with 404 Not Found", async () => {
    const { status, body } = await call("sendCarrierPigeon");
    expect(status).toBe(404);
    expect(body).toEqual({ ok: false, error_code: 404, description: "Not Found" });
  });

  it("reads urlencoded bodies, query strings and method names in any case", async () => {
    const officer = fake.user(OFFICER);
    const form = new URLSearchParams({
      chat_id: String(officer.chatId),
      text: "表单",
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "好", callback_data: "ok" }]] }),
    });
    const res = await fetch(`${fake.apiRoot}/bot${TOKEN}/sendMessage`, { method: "POST", body: form });
    expect(((await res.json()) as ApiAnswer).result.reply_markup.inline_keyboard[0][0].text).toBe("好");
    const viaGet = await fetch(
      `${fake.apiRoot}/bot${TOKEN}/SENDMESSAGE?chat_id=${officer.chatId}&text=%E6%9F%A5%E8%AF%A2`,
    );
    expect(((await viaGet.json()) as ApiAnswer).result.text).toBe("查询");
    expect(officer.replies.map((r) => r.text)).toEqual(["表单", "查询"]);
  });

  it("reads a multipart upload written by undici's FormData (quoted file name)", async () => {
    const officer = fake.user(OFFICER);
    const form = new FormData();
    form.set("chat_id", String(officer.chatId));
    form.set("caption", "附件");
    form.set("document", new Blob([REPORT], { type: "application/pdf" }), "年报 草稿.pdf");
    const res = await fetch(`${fake.apiRoot}/bot${TOKEN}/sendDocument`, { method: "POST", body: form });
    const { document, caption } = ((await res.json()) as ApiAnswer).result;
    expect({ caption, name: document.file_name, mime: document.mime_type, size: document.file_size }).toEqual({
      caption: "附件",
      name: "年报 草稿.pdf",
      mime: "application/pdf",
      size: REPORT.length,
    });
    expect(Buffer.compare(officer.documents[0]?.bytes ?? Buffer.alloc(0), REPORT)).toBe(0);
  });
});

describe("a grammY bot driven by an officer", () => {
  function buildBot(): Bot {
    const bot = new Bot(TOKEN, { client: { apiRoot: fake.apiRoot } });
    bot.command("start", (ctx) =>
      ctx.reply("<b>年报</b> 第 1/6 部分", {
        parse_mode: "HTML",
        reply_markup: new InlineKeyboard().text("继续填写", "v1:next").text("设置", "v1:settings"),
      }),
    );
    bot.callbackQuery("v1:next", async (ctx) => {
      await ctx.answerCallbackQuery({ text: "好的" });
      await ctx.editMessageText("第 2/6 部分", { reply_markup: new InlineKeyboard().text("上一行", "v1:prev") });
    });
    bot.command("doc", async (ctx) => {
      await ctx.replyWithChatAction("upload_document");
      await ctx.replyWithDocument(new InputFile(REPORT, "杭州市 2020年报告.docx"), {
        caption: "<i>草稿</i>",
        parse_mode: "HTML",
      });
    });
    bot.on("message:document", async (ctx) => {
      const file = await ctx.getFile();
      const res = await fetch(`${fake.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      await ctx.reply(`收到 ${ctx.message.document.file_name}：${bytes.length} 字节 ${sha(bytes)}`);
    });
    bot.on("message:sticker", (ctx) => ctx.reply("请发送文字"));
    bot.on("edited_message", (ctx) => ctx.reply(`已改为：${ctx.editedMessage.text ?? ""}`));
    bot.on("message:text", (ctx) => ctx.reply(`你说：${escapeHtml(ctx.message.text)}`, { parse_mode: "HTML" }));
    return bot;
  }

  it("replies, edits on a button press, uploads and downloads documents (runner)", async () => {
    const bot = buildBot();
    await bot.api.setMyCommands([{ command: "start", description: "开始" }]);
    const runner = run(bot);
    try {
      const officer = fake.user(OFFICER);
      officer.send("/start");
      const card = await officer.nextReply();
      expect(card).toMatchObject({ text: "年报 第 1/6 部分", rawText: "<b>年报</b> 第 1/6 部分", parseMode: "HTML" });
      expect(card.entities).toEqual([{ type: "bold", offset: 0, length: 2 }]);
      expect(buttonTexts(card)).toEqual([["继续填写", "设置"]]);

      const query = officer.press("继续填写");
      const edited = await officer.nextReply();
      expect(edited).toMatchObject({ messageId: card.messageId, text: "第 2/6 部分", edited: true });
      expect(buttonTexts(edited)).toEqual([["上一行"]]);
      expect(officer.answers.find((a) => a.id === query)?.answer?.text).toBe("好的");

      officer.send("/doc");
      const doc = await officer.waitForDocument();
      expect(doc).toMatchObject({ fileName: "杭州市 2020年报告.docx", caption: "草稿" });
      expect(doc.mimeType).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
      expect(Buffer.compare(doc.bytes, REPORT)).toBe(0);
      expect(officer.chatActions.map((a) => a.action)).toEqual(["upload_document"]);

      officer.sendDocument("上年报告.docx", REPORT);
      expect((await officer.nextReply()).text).toBe(`收到 上年报告.docx：${REPORT.length} 字节 ${sha(REPORT)}`);

      officer.sendSticker();
      expect((await officer.nextReply()).text).toBe("请发送文字");
      const sent = officer.send("a < b & c");
      expect((await officer.nextReply()).text).toBe("你说：a < b & c");
      officer.edit(sent.message_id, "改过的");
      expect((await officer.nextReply()).text).toBe("已改为：改过的");

      expect(await bot.api.getMyCommands()).toEqual([{ command: "start", description: "开始" }]);
      expect(fake.errors).toEqual([]);
    } finally {
      await runner.stop();
    }
  });

  it("serves grammY's own bot.start() poller and reports no conflict on stop", async () => {
    const bot = buildBot();
    const started = new Promise<void>((resolve) => void bot.start({ onStart: () => resolve() }));
    await started;
    const officer = fake.user(OFFICER);
    officer.send("你好");
    expect((await officer.nextReply()).text).toBe("你说：你好");
    await bot.stop();
    expect(fake.errors).toEqual([]);
  });
});

describe("refusals, with Telegram's descriptions", () => {
  it.each([
    ["<b>x", `Can't find end tag corresponding to start tag "b"`],
    ["<foo>x</foo>", `Unsupported start tag "foo" at byte offset 0`],
    ["a < b", `Unsupported start tag "" at byte offset 2`],
    ["&nbsp;", `Unsupported HTML entity "&nbsp;" at byte offset 0`],
    ["Tom & Jerry", `Character "&" must be escaped as "&amp;" at byte offset 4`],
    ["<b><i>x</b></i>", `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`],
    ["报告</b>", "Unexpected end tag at byte offset 6"],
    ['<span class="x">y</span>', `Tag "span" must have class "tg-spoiler" at byte offset 0`],
    ["<a href=http://x>y</a>", "Unexpected end of name token at byte offset 8"],
  ])("refuses HTML %j", async (html, reason) => {
    const officer = fake.user(OFFICER);
    const description = await refusal("sendMessage", { chat_id: officer.chatId, text: html, parse_mode: "HTML" });
    expect(description).toBe(`Bad Request: can't parse entities: ${reason}`);
    expect(fake.errors).toMatchObject([{ method: "sendMessage", status: 400, description }]);
    expect(officer.replies).toEqual([]);
  });

  it("accepts Telegram's tags and entities and returns the parsed text with entities", async () => {
    const officer = fake.user(OFFICER);
    const html =
      '<b>粗</b> &lt;&gt;&amp;&quot; &#20013;&#x6587; <a href="https://x.cn/?a=1&amp;b=2">链接</a> ' +
      '<span class="tg-spoiler">密</span> <pre><code class="language-ts">x</code></pre> <blockquote expandable>引</blockquote>';
    const { body } = await call("sendMessage", { chat_id: officer.chatId, text: html, parse_mode: "HTML" });
    expect(body.result.text).toBe('粗 <>&" 中文 链接 密 x 引');
    expect(body.result.entities).toEqual([
      { type: "bold", offset: 0, length: 1 },
      { type: "text_link", offset: 10, length: 2, url: "https://x.cn/?a=1&b=2" },
      { type: "spoiler", offset: 13, length: 1 },
      { type: "pre", offset: 15, length: 1, language: "ts" },
      { type: "expandable_blockquote", offset: 17, length: 1 },
    ]);
  });

  it("counts length after parsing, in UTF-16 code units: 4,096 accepted, 4,097 refused", async () => {
    const { chatId } = fake.user(OFFICER);
    const send = (text: string, parse_mode?: string) => call("sendMessage", { chat_id: chatId, text, parse_mode });
    expect((await send("x".repeat(4096))).status).toBe(200);
    expect((await send(`<b>${"x".repeat(4096)}</b>`, "HTML")).status).toBe(200);
    expect((await send("&lt;".repeat(4096), "HTML")).status).toBe(200);
    expect((await send("😀".repeat(2048))).status).toBe(200);
    expect(await refusal("sendMessage", { chat_id: chatId, text: "x".repeat(4097) })).toBe(
      "Bad Request: message is too long",
    );
    expect(await refusal("sendMessage", { chat_id: chatId, text: `${"😀".repeat(2048)}x` })).toBe(
      "Bad Request: message is too long",
    );
    expect(fake.errors).toHaveLength(2);
  });

  it("refuses an empty text, also when only tags or spaces remain", async () => {
    const { chatId } = fake.user(OFFICER);
    for (const text of ["", "   \n", "<b></b>"]) {
      expect(await refusal("sendMessage", { chat_id: chatId, text, parse_mode: "HTML" })).toBe(
        "Bad Request: message text is empty",
      );
    }
  });

  it("refuses callback data over 64 bytes of UTF-8 and accepts 64", async () => {
    const { chatId } = fake.user(OFFICER);
    const keyboard = (data: string) => ({ inline_keyboard: [[{ text: "按钮", callback_data: data }]] });
    const send = (data: string) => call("sendMessage", { chat_id: chatId, text: "选", reply_markup: keyboard(data) });
    expect((await send("a".repeat(64))).status).toBe(200);
    expect((await send(`${"报".repeat(21)}a`)).status).toBe(200); // 63 + 1 bytes
    for (const data of ["a".repeat(65), "报".repeat(22)]) {
      expect(await refusal("sendMessage", { chat_id: chatId, text: "选", reply_markup: keyboard(data) })).toBe(
        "Bad Request: BUTTON_DATA_INVALID",
      );
    }
  });

  it("refuses a caption over 1,024 characters and re-sends a document by file_id", async () => {
    const { chatId } = fake.user(OFFICER);
    const { fileId } = fake.registerFile(REPORT, "a.docx");
    const ok = await call("sendDocument", { chat_id: chatId, document: fileId, caption: "x".repeat(1024) });
    expect(ok.body.result.document).toMatchObject({ file_id: fileId, file_name: "a.docx" });
    expect(await refusal("sendDocument", { chat_id: chatId, document: fileId, caption: "x".repeat(1025) })).toBe(
      "Bad Request: message caption is too long",
    );
    expect(await refusal("sendDocument", { chat_id: chatId, document: "no-such-file" })).toBe(
      "Bad Request: wrong file identifier/HTTP URL specified",
    );
  });

  it("refuses an edit that changes nothing, and an edit of a message that does not exist", async () => {
    const { chatId } = fake.user(OFFICER);
    const markup = { inline_keyboard: [[{ text: "下一步", callback_data: "n" }]] };
    const sent = await call("sendMessage", {
      chat_id: chatId,
      text: "<b>第 1 行</b>",
      parse_mode: "HTML",
      reply_markup: markup,
    });
    const id = sent.body.result.message_id;
    const same = { chat_id: chatId, message_id: id, text: "<b>第 1 行</b>", parse_mode: "HTML", reply_markup: markup };
    expect(await refusal("editMessageText", same)).toMatch(/^Bad Request: message is not modified: /);
    expect(await refusal("editMessageReplyMarkup", { chat_id: chatId, message_id: id, reply_markup: markup })).toMatch(
      /^Bad Request: message is not modified: /,
    );
    // Same characters without the bold entity is a change; so is dropping the keyboard (no reply_markup).
    const plain = await call("editMessageText", { chat_id: chatId, message_id: id, text: "第 1 行" });
    expect(plain.status).toBe(200);
    expect(plain.body.result.reply_markup).toBeUndefined();
    expect(await refusal("editMessageText", { chat_id: chatId, message_id: 999, text: "x" })).toBe(
      "Bad Request: message to edit not found",
    );
    expect(await refusal("deleteMessage", { chat_id: chatId, message_id: 999 })).toBe(
      "Bad Request: message to delete not found",
    );
  });

  it("refuses an unknown or already answered callback query, an unknown chat and a bad chat action", async () => {
    const officer = fake.user(OFFICER);
    const sent = await call("sendMessage", { chat_id: officer.chatId, text: "旧消息" });
    const id = officer.pressData("v0:forged", sent.body.result.message_id);
    expect((await call("answerCallbackQuery", { callback_query_id: id })).status).toBe(200);
    const tooOld = "Bad Request: query is too old and response timeout expired or query ID is invalid";
    expect(await refusal("answerCallbackQuery", { callback_query_id: id })).toBe(tooOld);
    expect(await refusal("answerCallbackQuery", { callback_query_id: "42" })).toBe(tooOld);
    expect(await refusal("sendMessage", { chat_id: 1, text: "x" })).toBe("Bad Request: chat not found");
    expect(await refusal("sendChatAction", { chat_id: officer.chatId, action: "dancing" })).toBe(
      "Bad Request: wrong parameter action in request",
    );
  });
});

describe("getUpdates long polling", () => {
  it("waits up to timeout seconds when nothing is pending, then returns []", async () => {
    const started = Date.now();
    const { body } = await call("getUpdates", { timeout: 1 });
    expect(body.result).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("answers at once when updates are pending and wakes a waiting poll when the officer acts", async () => {
    const officer = fake.user(OFFICER);
    officer.send("/start 参数");
    const started = Date.now();
    const first = await call("getUpdates", { timeout: 10 });
    expect(Date.now() - started).toBeLessThan(500);
    expect(first.body.result[0].message).toMatchObject({
      text: "/start 参数",
      entities: [{ type: "bot_command", offset: 0, length: 6 }],
      chat: { id: OFFICER.id, type: "private" },
    });
    const offset = first.body.result[0].update_id + 1;
    const waiting = call("getUpdates", { offset, timeout: 10 });
    setTimeout(() => officer.send("第二条"), 100);
    const second = await waiting;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(second.body.result.map((u: { update_id: number }) => u.update_id)).toEqual([offset]);
  });

  it("honours offset (confirming older updates), negative offset and limit", async () => {
    const officer = fake.user(OFFICER);
    for (const text of ["一", "二", "三", "四"]) officer.send(text);
    const texts = (answer: { body: ApiAnswer }) =>
      answer.body.result.map((u: { message: { text: string } }) => u.message.text);
    const all = await call("getUpdates");
    expect(texts(all)).toEqual(["一", "二", "三", "四"]);
    const ids: number[] = all.body.result.map((u: { update_id: number }) => u.update_id);
    expect(ids).toEqual([ids[0], ids[0]! + 1, ids[0]! + 2, ids[0]! + 3]);
    expect(texts(await call("getUpdates", { offset: ids[1], limit: 1 }))).toEqual(["二"]);
    expect(texts(await call("getUpdates"))).toEqual(["二", "三", "四"]); // "一" was confirmed and dropped
    expect(texts(await call("getUpdates", { offset: -1 }))).toEqual(["四"]);
    expect(texts(await call("getUpdates", { offset: ids[3]! + 1 }))).toEqual([]);
  });

  it("after a jump of the update ids down by 10^6 the old offset confirms none of the new updates", async () => {
    const officer = fake.user(OFFICER);
    officer.send("一");
    const before = (await call("getUpdates")).body.result[0].update_id as number;
    fake.jumpUpdateIds(-1_000_000);
    officer.send("二");
    officer.send("三");
    const after = await call("getUpdates", { offset: before + 1 });
    const ids: number[] = after.body.result.map((u: { update_id: number }) => u.update_id);
    expect(ids).toEqual([before + 1 - 1_000_000, before + 2 - 1_000_000]);
    expect(
      (await call("getUpdates", { offset: ids[0]! + 1 })).body.result.map((u: { update_id: number }) => u.update_id),
    ).toEqual([ids[1]]);
    expect((await call("getUpdates", { offset: ids[1]! + 1 })).body.result).toEqual([]);
  });

  it("refuses chosen calls with 403 (blocked) and 429 (retry_after), then answers again", async () => {
    const officer = fake.user(OFFICER);
    fake.refuse({ method: "sendMessage", status: 429, retryAfter: 3 });
    fake.refuse({ method: "sendMessage", status: 403, when: (p) => p.text === "被拒" });
    const limited = await call("sendMessage", { chat_id: officer.chatId, text: "一" });
    expect(limited).toEqual({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 3",
        parameters: { retry_after: 3 },
      },
    });
    expect((await call("sendMessage", { chat_id: officer.chatId, text: "一" })).status).toBe(200);
    expect((await call("sendMessage", { chat_id: officer.chatId, text: "被拒" })).body).toEqual({
      ok: false,
      error_code: 403,
      description: "Forbidden: bot was blocked by the user",
    });
    expect((await call("sendMessage", { chat_id: officer.chatId, text: "被拒" })).status).toBe(200);
    expect(fake.errors.map((e) => e.status)).toEqual([429, 403]);
  });

  it("ends the first of two concurrent getUpdates with 409 Conflict", async () => {
    const first = call("getUpdates", { timeout: 5 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = call("getUpdates", { timeout: 1 });
    const conflict = await first;
    expect(conflict.status).toBe(409);
    expect(conflict.body.description).toBe(
      "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    );
    expect((await second).body.result).toEqual([]);
    expect(fake.errors.map((e) => e.status)).toEqual([409]);
  });

  it("filters by allowed_updates and keeps the filter for later calls", async () => {
    const officer = fake.user(OFFICER);
    const sent = await call("sendMessage", { chat_id: officer.chatId, text: "选一个" });
    officer.send("文字");
    officer.pressData("v1:x", sent.body.result.message_id);
    const only = await call("getUpdates", { allowed_updates: ["callback_query"] });
    expect(only.body.result).toHaveLength(1);
    expect(only.body.result[0].callback_query).toMatchObject({ data: "v1:x", message: { text: "选一个" } });
    officer.send("又一条");
    expect((await call("getUpdates")).body.result.map((u: object) => Object.keys(u)[1])).toEqual(["callback_query"]);
  });
});

describe("the officer's hands", () => {
  it("pushes stickers, photos and voice messages, and a group chat when asked", () => {
    const officer = fake.user({ ...OFFICER, chatType: "group" });
    expect(officer.sendSticker().sticker?.type).toBe("regular");
    expect(officer.sendPhoto("照片").photo).toHaveLength(2);
    expect(officer.sendVoice().voice?.duration).toBe(3);
    expect(officer.sendVoice().chat).toMatchObject({ id: -OFFICER.id, type: "group" });
  });

  it("says which buttons exist when a press names none of them", async () => {
    const officer = fake.user(OFFICER);
    const markup = {
      inline_keyboard: [
        [
          { text: "跳过", callback_data: "s" },
          { text: "目录", callback_data: "m" },
        ],
      ],
    };
    await call("sendMessage", { chat_id: officer.chatId, text: "第 3/25 行", reply_markup: markup });
    expect(() => officer.press("上一行")).toThrow("buttons: 跳过 · 目录");
    expect(officer.press(/目/)).toMatch(/^\d+$/);
  });

  it("rejects nextReply after its timeout, naming the latest refusal", async () => {
    const officer = fake.user(OFFICER);
    officer.send("你好");
    await call("sendMessage", { chat_id: officer.chatId, text: "<b>没关", parse_mode: "HTML" });
    await expect(officer.nextReply({ timeoutMs: 100 })).rejects.toThrow(
      /no reply .* within 100 ms; latest refusals: sendMessage: Bad Request: can't parse entities/,
    );
  });

  it("waits only for bot messages sent or edited after the officer's last action", async () => {
    const officer = fake.user(OFFICER);
    await call("sendMessage", { chat_id: officer.chatId, text: "早先的" });
    officer.send("新问题");
    const pending = officer.nextReply({ timeoutMs: 1000 });
    await call("sendMessage", { chat_id: officer.chatId, text: "回答" });
    expect((await pending).text).toBe("回答");
    expect(officer.lastReply()?.text).toBe("回答");
    expect(officer.replies.map((r) => r.text)).toEqual(["早先的", "回答"]);
  });
});
