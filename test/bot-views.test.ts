import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { cardView } from "../src/bot/views/card.js";
import { COMMANDS, helpText } from "../src/bot/views/commands.js";
import { checkReport } from "../src/form/check-report.js";
import type { StoredReport } from "../src/store/store.js";

const report: StoredReport = {
  id: "r1",
  version: 3,
  members: [1],
  cursor: 0,
  deadline: "2026-01-31",
  createdAt: "2025-12-01T00:00:00.000Z",
  updatedAt: "2025-12-01T00:00:00.000Z",
  draft: { format: "2021", org: "大关 & 街道", year: 2025, narrative: {}, cells: {} },
} as StoredReport;

describe("shared views", () => {
  it("the card is a pure function of the report, the time and the findings", () => {
    const flow = flowFor("2021");
    const view = cardView(flow, report, new Date("2026-01-21T02:00:00Z"), checkReport(flow, report.draft));
    expect(view.text).toContain("<b>大关 &amp; 街道 2025年度</b>");
    expect(view.text).toContain("进度：0/6 部分已填完");
    expect(view.text).toContain("距截止还有 10 天（2026年1月31日）");
    const buttons = view.keyboard?.inline_keyboard.flat().map((b) => b.text);
    expect(buttons).toEqual(["继续填写", "各部分", "核对", "预览", "生成报告", "设置"]);
  });

  it("/help lists exactly the commands of the menu", () => {
    const help = helpText();
    for (const c of COMMANDS) expect(help).toContain(`/${c.command} ${c.description}`);
    expect(help.match(/^\/\w+/gm)).toHaveLength(COMMANDS.length);
  });
});

describe("layout", () => {
  it("features are leaves: none imports another feature", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const dir = new URL("../src/bot/features/", import.meta.url);
    const offenders = readdirSync(dir).filter((f) => /from "\.\/[^"]+"/.test(readFileSync(new URL(f, dir), "utf8")));
    expect(offenders).toEqual([]);
  });
});
