import { afterEach, describe, expect, it } from "vitest";
import { safeFileName } from "../src/bot/file-name.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { fixture } from "./support/fixtures.js";

describe("document file names", () => {
  it("keeps Chinese and turns what breaks a Content-Disposition header into _", () => {
    expect(safeFileName("大关 街道;a=b'c\"d\\e/f\u0001%g.docx")).toBe("大关_街道_a_b_c_d_e_f__g.docx");
    expect(safeFileName("杭州市拱墅区2022年政府信息公开工作年度报告（草稿）.docx")).toBe(
      "杭州市拱墅区2022年政府信息公开工作年度报告（草稿）.docx",
    );
  });

  let h: Harness | undefined;
  afterEach(async () => {
    if (!h) return;
    expect(h.fake.errors).toEqual([]);
    await h.close();
    h = undefined;
  });

  it("sends a report of a unit named with spaces, ; = and ' under the whole, safe name", async () => {
    h = await startHarness({ now: () => new Date("2023-02-10T02:00:00Z") });
    const officer = h.officer(501);
    await h.seedReport(501, { ...fixture("report-2022"), org: "O'Brien; 街道 = 一" });
    officer.send("/export");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(doc.fileName).toBe("O_Brien__街道___一2022年政府信息公开工作年度报告.json");
  });
});
