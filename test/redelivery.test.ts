import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Update, UserFromGetMe } from "grammy/types";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { flowFor, flows } from "../flows/index.js";
import { createBot } from "../src/bot/create-bot.js";
import { formSteps } from "../src/form/form-steps.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";

/**
 * Telegram delivers an update again when the bot died before confirming it.
 * The answer it carries must not be applied a second time (to the next row).
 */

const botInfo = { id: 42, is_bot: true, first_name: "年报", username: "nianbao_test_bot" } as UserFromGetMe;
const sent: string[] = [];
/** While set, Telegram refuses every sendMessage (the reply never reaches the officer). */
let refuseSends = false;
const fetchStub = async (url: string, init: { body?: unknown }) => {
  const method = url.slice(url.lastIndexOf("/") + 1);
  const body = typeof init.body === "string" ? (JSON.parse(init.body) as { text?: string; chat_id?: number }) : {};
  if (method === "sendMessage" && refuseSends) {
    const refusal = { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" };
    return { ok: false, status: 403, json: async () => refusal };
  }
  if (method === "sendMessage") sent.push(body.text ?? "");
  const result =
    method === "sendMessage"
      ? { message_id: sent.length, date: 0, chat: { id: body.chat_id, type: "private" }, text: body.text }
      : true;
  return { ok: true, status: 200, json: async () => ({ ok: true, result }) };
};

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "nianbao-redelivery-"));
  store = await openStore({ redisPrefix: "unused:", dataDir: dir });
  sent.length = 0;
  refuseSends = false;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const text = (updateId: number, value: string): Update =>
  ({
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 0,
      chat: { id: 7, type: "private", first_name: "官员" },
      from: { id: 7, is_bot: false, first_name: "官员" },
      text: value,
    },
  }) as Update;

const newBot = () =>
  createBot(
    "42:AAredeliveryTestTokenOnly_abcdefghij",
    {
      store,
      logger: pino({ level: "silent" }),
      now: () => new Date("2026-01-10T00:00:00Z"),
      flows,
      renderDocx: async () => {
        throw new Error("this test builds no report");
      },
      renderHtml: async () => {
        throw new Error("this test builds no report");
      },
      downloadFile: async () => new Uint8Array(),
    },
    { botInfo, client: { fetch: fetchStub as never } },
  );

describe("an update delivered twice", () => {
  it("is applied once; its reply was sent, so the repeat is answered with silence", async () => {
    const bot = newBot();
    const cursor = formSteps(flowFor("2021")).find((s) => s.kind === "row" && s.row.id === "apply.new")!.index;
    const created = await store.createReport({
      draft: { format: "2021", org: "某街道", year: 2025, narrative: {}, cells: {} },
      members: [7],
    });
    await store.updateReport(created.id, created.version, { cursor }, []);
    await store.setUser(7, { currentReportId: created.id });

    await bot.handleUpdate(text(900, "2 0 0 0 0 0"));
    const once = (await store.getReport(created.id))!;
    const replies = sent.length;
    await bot.handleUpdate(text(900, "2 0 0 0 0 0"));
    const twice = (await store.getReport(created.id))!;
    expect(sent).toHaveLength(replies);

    expect(twice).toEqual(once);
    expect(twice.draft.cells["apply.new.natural"]).toBe(2);
    expect(twice.draft.cells["apply.carried_in.natural"]).toBeUndefined();
    expect(await store.history(created.id, 20)).toHaveLength(6); // one entry per cell of the one answer
    expect(sent.at(-1)).toContain("二、上年结转政府信息公开申请数量");

    await bot.handleUpdate(text(901, "3 0 0 0 0 0"));
    expect((await store.getReport(created.id))!.draft.cells["apply.carried_in.natural"]).toBe(3);
  });

  it("whose reply never reached the officer is answered with the stored acknowledgement, not the step now under the cursor", async () => {
    const bot = newBot();
    const cursor = formSteps(flowFor("2021")).find((s) => s.kind === "row" && s.row.id === "apply.new")!.index;
    const created = await store.createReport({
      draft: { format: "2021", org: "某街道", year: 2025, narrative: {}, cells: {} },
      members: [7],
    });
    await store.updateReport(created.id, created.version, { cursor }, []);
    await store.setUser(7, { currentReportId: created.id });

    refuseSends = true;
    await bot.handleUpdate(text(900, "2 0 0 0 0 0")).catch(() => undefined);
    expect(sent).toEqual([]);
    refuseSends = false;
    await bot.handleUpdate(text(900, "2 0 0 0 0 0"));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^✅ 已保存：一、本年新收政府信息公开申请数量/);
    expect(sent[0]).toContain("二、上年结转政府信息公开申请数量"); // the question that reply went on to
    expect((await store.getReport(created.id))!.draft.cells["apply.carried_in.natural"]).toBeUndefined();
    // Sent now: a third delivery is answered with silence.
    await bot.handleUpdate(text(900, "2 0 0 0 0 0"));
    expect(sent).toHaveLength(1);
  });
});
