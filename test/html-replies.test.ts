import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reminderSender } from "../src/reminders/start-reminders.js";
import { type Harness, startHarness, TOKEN } from "./support/bot-harness.js";

// 2026-02-10 02:00 UTC is 10:00 in Beijing; the default report year is 2025.
const NOW = new Date("2026-02-10T02:00:00Z");

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => NOW });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

describe("HTML parse mode, installed once", () => {
  it("shows an officer's 'a & b' as typed in every reply, wizards included, each sent as HTML", async () => {
    const officer = h.officer(301);
    officer.send("/start");
    expect((await officer.nextReply()).text).toContain("请发单位名称");
    officer.send("a & b");
    await officer.nextReply();
    officer.send("2025");
    const created = await officer.nextReply();
    expect(created.text).toContain("已新建：a & b 2025年度");
    expect(created.rawText).toContain("a &amp; b");

    officer.send("/settings");
    await officer.nextReply();
    officer.press("单位名称");
    const prompt = await officer.nextReply();
    expect(prompt.text).toContain("现在的单位名称：a & b");
    officer.send("c & d");
    expect((await officer.nextReply()).text).toContain("单位名称改为 c & d");

    for (const command of ["/sections", "/history", "/help", "/cancel", "/reports"]) {
      officer.send(command);
      await officer.nextReply();
    }
    const texts = officer.replies.map((m) => m.text).join("\n");
    expect(texts).not.toContain("&amp;");
    expect(texts).toContain("c & d");
    // Every message, the wizard's prompts (sent inside a conversation) too, went out as HTML.
    expect(officer.replies.filter((m) => m.parseMode !== "HTML").map((m) => m.text)).toEqual([]);
  });
});

describe("the reminders' own Api", () => {
  it("sends as HTML through the same transformer: an escaped 'a &amp; b' arrives as 'a & b'", async () => {
    const send = reminderSender({ BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: h.fake.apiRoot });
    const officer = h.officer(302);
    await send(302, { text: "⏰ <b>年报填报提醒</b> a &amp; b" });
    const reminder = await officer.nextReply();
    expect(reminder.parseMode).toBe("HTML");
    expect(reminder.text).toBe("⏰ 年报填报提醒 a & b");
  });

  it("no module but the transformer sets parse_mode", () => {
    const src = fileURLToPath(new URL("../src", import.meta.url));
    const setting = readdirSync(src, { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".ts") && readFileSync(join(src, f), "utf8").includes("parse_mode"),
    );
    expect(setting).toEqual(["bot/html-parse-mode.ts"]);
  });
});
