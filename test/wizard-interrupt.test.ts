import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { encodeCallback } from "../src/bot/callback-data.js";
import { COMMANDS } from "../src/bot/views/commands.js";
import { WIZARD_NAMES } from "../src/bot/wizards.js";
import type { Draft } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { BotMessage, Officer } from "./support/fake-telegram.js";
import { fixture } from "./support/fixtures.js";

/**
 * Issue "Trust", point 4, "each wizard interrupted by each command": every
 * short dialogue that asked a question is interrupted by every command the
 * bot registers, then the officer sends the text meant for the dialogue's
 * question. Either a dialogue takes that text, or the dialogue was visibly
 * left; and the text never lands in a report (no part or row changes), except
 * after /fill, whose reply asks a question of the form: the text answers it.
 */

// 10:00 in Beijing, 5 January 2023: reports of 2022 are being written.
const NOW = new Date("2023-01-05T02:00:00.000Z");
const flow = flowFor("2021");
const OTHER = formSteps(flow).find((s) => s.kind === "part" && s.part.id === "other")!;
const ownDraft: Draft = { format: "2021", org: "测试街道", year: 2022, narrative: {}, cells: {} };
const ADMINS = Array.from({ length: 40 }, (_, i) => 9_000 + i);
const FORM = ["名称：西湖区2022年度年报", "年度：2022", "内部截止：2023-01-15", "单位：", "甲街道"].join("\n");

/** The features' source, so a new command or dialogue cannot be left out of the tables. */
function featureSources(): string[] {
  const dir = new URL("../src/bot/features/", import.meta.url);
  return readdirSync(dir).map((file) => readFileSync(new URL(file, dir), "utf8"));
}

function registeredCommands(): string[] {
  const found = featureSources().flatMap((source) => [...source.matchAll(/\.command\("(\w+)"/g)].map((m) => m[1]!));
  return [...new Set(found)].sort();
}

const COMMAND_TABLE = [...COMMANDS.map((c) => c.command), "campaign"];
/** Commands whose reply asks the form's current question (so a text after them answers it). */
const ASKS_FORM_QUESTION = new Set(["fill"]);
/** Commands that start a dialogue of their own, which then takes the text. */
const startsWizard = (command: string, admin: boolean, campaigns: number) =>
  command === "new" || (admin && (command === "campaign" || (command === "dates" && campaigns > 0)));

/** An officer; an administrator (BOT_ADMINS) before or after a campaign exists; a campaign's supervisor. */
type Role = "officer" | "admin" | "campaign admin" | "supervisor";

interface Wizard {
  /** How the bot names it when a command leaves it. */
  name: string;
  role: Role;
  /** Starts the dialogue; resolves with the question it asked. */
  start(o: Officer, h: Harness): Promise<BotMessage>;
  /** The plain text an officer means as the answer to that question. */
  answer: string;
}

async function say(h: Harness, o: Officer, text: string): Promise<BotMessage[]> {
  const from = o.log.events.length;
  o.send(text);
  await h.settled();
  return o.log.events.slice(from);
}

async function press(h: Harness, o: Officer, button: string | RegExp): Promise<BotMessage[]> {
  const from = o.log.events.length;
  o.press(button);
  await h.settled();
  return o.log.events.slice(from);
}

const last = (replies: BotMessage[]): BotMessage => {
  const reply = replies.at(-1);
  if (!reply) throw new Error("the bot did not reply");
  return reply;
};

function setting(button: string, answer: string): Wizard {
  return {
    name: "修改设置",
    role: "officer",
    answer,
    async start(o, h) {
      await say(h, o, "/settings");
      return last(await press(h, o, button));
    },
  };
}

/** The report under review (a campaign report handed in by its officer), set up once per harness. */
let reviewed = "";

const WIZARDS: Wizard[] = [
  {
    name: "新建报告",
    role: "officer",
    answer: "大关街道",
    start: async (o, h) => last(await say(h, o, "/new")),
  },
  {
    name: "新建报告",
    role: "officer",
    answer: "2022",
    start: async (o, h) => last(await say(h, o, "/new 大关街道 1999")),
  },
  setting("单位名称", "大关街道"),
  setting("年度", "2021"),
  setting("截止日期", "2023-01-20"),
  setting("内部截止日期", "2023-01-15"),
  setting("联系方式", "电话：0571-88000000"),
  {
    name: "新建年报工作",
    role: "admin",
    answer: FORM,
    start: async (o, h) => last(await say(h, o, "/campaign")),
  },
  {
    name: "修改截止日期",
    role: "campaign admin",
    answer: "内部截止：2023-01-20",
    start: async (o, h) => last(await say(h, o, "/dates")),
  },
  {
    name: "退回意见",
    role: "supervisor",
    answer: "三（三）3 与正文不符",
    async start(o, h) {
      const from = o.log.events.length;
      o.pressData(encodeCallback("review", reviewed, "back"), last(o.log.events).messageId);
      await h.settled();
      return last(o.log.events.slice(from));
    },
  },
];

/** A campaign with one unit whose report is handed in, and the supervisor link. */
/** A campaign of one unit, created by the first administrator; the message with its links. */
async function campaignCreated(h: Harness): Promise<string> {
  const admin = h.officer(ADMINS[0]!);
  await say(h, admin, "/campaign");
  return last(await say(h, admin, FORM)).text;
}

async function handedIn(h: Harness): Promise<string> {
  const links = await campaignCreated(h);
  const supervisorLink = /start=(join_s[\w-]+)/.exec(links)?.[1];
  const unitLink = /甲街道：\S*start=(join_o[\w-]+)/.exec(links)?.[1];
  if (!supervisorLink || !unitLink) throw new Error(`no links in: ${links}`);
  const officer = h.officer(500);
  await say(h, officer, `/start ${unitLink}`);
  const { currentReportId } = await h.store.getUser(500);
  const report = (await h.store.getReport(currentReportId!))!;
  const filled = { ...fixture("report-2022"), org: "甲街道" };
  const written = await h.store.updateReport(report.id, report.version, { draft: filled }, []);
  if (!written.ok) throw new Error("could not fill the unit's report");
  const submitted = last(await say(h, officer, "/submit"));
  if (submitted.text.includes("确认提交")) await press(h, officer, "确认提交");
  if ((await h.store.getReport(report.id))?.review?.state !== "submitted") throw new Error("not handed in");
  reviewed = report.id;
  return supervisorLink;
}

/** Every narrative part and cell of every report the user is a member of. */
async function contents(h: Harness, userId: number): Promise<Record<string, Pick<Draft, "narrative" | "cells">>> {
  const reports = await h.store.listReports(userId);
  return Object.fromEntries(reports.map((r) => [r.id, { narrative: r.draft.narrative, cells: r.draft.cells }]));
}

it("the tables below name every command and every dialogue the bot registers", () => {
  expect(registeredCommands()).toEqual([...COMMAND_TABLE].sort());
  expect(new Set(WIZARDS.map((w) => w.name))).toEqual(new Set(Object.values(WIZARD_NAMES)));
  expect(
    featureSources()
      .join("\n")
      .match(/registerWizard\(/g),
  ).toHaveLength(Object.keys(WIZARD_NAMES).length);
});

/** Buttons of messages shown before the dialogue began: part 六's question, and the report card. */
const BUTTONS: { button: string; on: "question" | "card" }[] = [
  { button: "完成", on: "question" },
  { button: "上一项", on: "question" },
  { button: "目录", on: "question" },
  ...["继续填写", "各部分", "核对", "预览", "生成报告", "设置"].map((button) => ({ button, on: "card" as const })),
];
/** Buttons whose reply asks a question of the form (so a text after them answers it). */
const BUTTON_ASKS_FORM_QUESTION = new Set(["完成", "上一项", "继续填写"]);

describe.each(WIZARDS.map((w) => [`${w.name}「${w.answer.split("\n")[0]}」`, w] as const))(
  "the wizard %s, interrupted",
  (_, wizard) => {
    let h: Harness;
    let supervisorLink = "";
    let nextUser = 1_000;
    beforeAll(async () => {
      h = await startHarness({ now: () => NOW, admins: ADMINS });
      if (wizard.role === "supervisor") supervisorLink = await handedIn(h);
      if (wizard.role === "campaign admin") await campaignCreated(h);
    });
    afterAll(async () => {
      await h.close();
    });

    /** A member writing part 六 (its question and the report card on screen) who then started the dialogue. */
    async function inDialogue(): Promise<{ o: Officer; id: number; part: BotMessage; card: BotMessage }> {
      const id = wizard.role.endsWith("admin") ? ADMINS[1 + (nextUser++ % (ADMINS.length - 1))]! : nextUser++;
      const o = h.officer(id);
      if (wizard.role === "supervisor") await say(h, o, `/start ${supervisorLink}`);
      await h.seedReport(id, ownDraft, { cursor: OTHER.index });
      const part = last(await say(h, o, "/fill"));
      expect(part.text).toContain("六、其他需要报告的事项");
      const card = last(await say(h, o, "/start"));
      const question = await wizard.start(o, h);
      expect(question.text).toMatch(/请|？/);
      return { o, id, part, card };
    }

    /**
     * The text meant for the dialogue, sent after the interruption: it answers the form's question when
     * the interruption showed one ("form"), the dialogue the interruption started ("wizard"), or nothing.
     */
    async function sendAnswer(o: Officer, id: number, goesTo: "form" | "wizard" | "nowhere"): Promise<void> {
      const before = await contents(h, id);
      const afterText = await say(h, o, wizard.answer);
      const replies = afterText.map((m) => m.text).join(" | ");
      expect(afterText.length, "the text gets a reply").toBeGreaterThan(0);
      const now = await contents(h, id);
      if (goesTo === "form") {
        // Saved to the question just shown, and the reply names it.
        expect(replies).toMatch(/^✅ 已保存到「[^」]+」/);
        return;
      }
      expect(now, `the text changed a report; replies: ${replies}`).toEqual(before);
      expect(replies).not.toContain("已保存");
      if (goesTo === "wizard") expect(replies).not.toContain("没有保存");
      else expect(replies).toContain("没有保存");
    }

    it.each(COMMAND_TABLE)("by the command /%s", async (command) => {
      const { o, id } = await inDialogue();
      const campaigns = (await h.store.listCampaigns()).length;
      const afterCommand = await say(h, o, `/${command}`);
      // Left visibly: a reply to the command says so, by the dialogue's name.
      const notice = afterCommand.find((m) => m.text.includes("已退出"));
      expect(notice?.text, `replies to /${command}: ${afterCommand.map((m) => m.text).join(" | ")}`).toContain(
        `已退出「${wizard.name}」`,
      );
      const goesTo = ASKS_FORM_QUESTION.has(command)
        ? "form"
        : startsWizard(command, wizard.role.endsWith("admin"), campaigns)
          ? "wizard"
          : "nowhere";
      await sendAnswer(o, id, goesTo);
    });

    it.each(BUTTONS)("by the button $button of an earlier $on", async ({ button, on }) => {
      const { o, id, part, card } = await inDialogue();
      const from = o.log.events.length;
      const query = o.press(button, { messageId: (on === "card" ? card : part).messageId });
      await h.settled();
      const afterButton = o.log.events.slice(from);
      // The button does what it says (its query answered), and the dialogue is left visibly.
      expect(o.answers.find((a) => a.id === query)?.answer).toBeDefined();
      const notice = afterButton.find((m) => m.text.includes("已退出"));
      expect(notice?.text, `replies to ${button}: ${afterButton.map((m) => m.text).join(" | ")}`).toContain(
        `已退出「${wizard.name}」`,
      );
      await sendAnswer(o, id, BUTTON_ASKS_FORM_QUESTION.has(button) ? "form" : "nowhere");
    });
  },
);
