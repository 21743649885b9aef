import { describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { ackText, rowAck } from "../src/bot/ack-text.js";
import { findingLine, rowSavedText } from "../src/bot/views/question.js";
import type { Finding } from "../src/form/finding.js";
import { formSteps } from "../src/form/form-steps.js";
import { PendingAck } from "../src/store/store.js";

/**
 * A row's acknowledgement is stored by reference (issue "Speed": bytes per
 * answer) and rebuilt when it is sent again: the rebuilt text must be the
 * very text the reply carried, or the text is stored instead.
 */

const flow = flows.flowFor("2021");
const rows = formSteps(flow).filter((s) => s.kind === "row");
const linear = flow.rules.filter((r) => r.kind === "linear");
const withColumns = linear.find((r) => r.forEach && r.forEach.length > 1)!;
const other = linear.find((r) => r !== withColumns)!;
const otherCol = other.forEach?.[0]?.name ?? "";

function finding(rule: (typeof linear)[number], col: string, left: number, right: number): Finding {
  return {
    severity: rule.severity,
    rule: rule.id,
    cells: [],
    numbers: [left, right],
    message: rule.message
      .replaceAll("{col}", col)
      .replaceAll("{left}", String(left))
      .replaceAll("{right}", String(right)),
  };
}

/** What the store gives back: the record validated and read again. */
const stored = (ack: ReturnType<typeof rowAck>): PendingAck =>
  PendingAck.parse(
    JSON.parse(
      JSON.stringify({
        updateId: 1,
        at: new Date().toISOString(),
        ...(ack.ref ? { ref: ack.ref } : { text: ack.text }),
      }),
    ),
  );

describe("row acknowledgements by reference", () => {
  it("rebuilds the very text of a row with its total, notes, linear findings of any column and a before line", () => {
    const step = rows.find((s) => s.row.cells.length > 1)!;
    const col = withColumns.forEach![1]!;
    const caused = [
      finding(withColumns, col.name, 84, 11),
      finding(other, otherCol, 3.5, 2),
      { severity: "warning" as const, rule: "narrative-x", cells: [], numbers: [], message: "第一部分写<共>12件" },
    ];
    const numbers = [...step.row.cells.map((_, i) => i * 1.5), 123456];
    const ack = rowAck(flow, step, numbers, ["已按万元记"], caused, "⚠️ 张三 刚把这一行改成：12。");
    expect(ack.ref).toBeDefined();
    expect(ack.ref?.findings?.[0]).toEqual([withColumns.id, col.key, 84, 11]);
    // A finding no rule's message gives is kept as the line sent.
    expect(ack.ref?.findings?.[2]).toBe(findingLine("warning", "第一部分写<共>12件"));
    expect(ackText(flows, stored(ack))).toBe(ack.text);
    expect(JSON.stringify(ack.ref).length).toBeLessThan(Buffer.byteLength(ack.text) / 2);
  });

  it("gives what rowSavedText says for a row of the draft", () => {
    const step = rows[0]!;
    const draft = {
      format: "2021" as const,
      org: "某某局",
      year: 2025,
      narrative: {},
      cells: Object.fromEntries(step.row.cells.map((id, i) => [id, i + 1])),
    };
    const numbers = step.row.cells.map((_, i) => i + 1);
    const total = rowSavedText(flow, draft, step, [], []).includes("总计");
    const ack = rowAck(flow, step, total ? [...numbers, numbers.reduce((s, n) => s + n, 0)] : numbers, [], []);
    expect(ack.text).toBe(rowSavedText(flow, draft, step, [], []));
    expect(ackText(flows, stored(ack))).toBe(ack.text);
  });

  it("stores the text when a finding's message is not its rule's (the reference would not give it back)", () => {
    const step = rows[0]!;
    const changed = { ...finding(other, otherCol, 1, 2), message: "另一种说法" };
    const ack = rowAck(flow, step, [1], [], [{ ...changed, severity: other.severity }]);
    expect(ack.ref?.findings).toEqual([findingLine(other.severity, "另一种说法")]);
    expect(ackText(flows, stored(ack))).toBe(ack.text);
  });

  it("reads an acknowledgement stored as text (before references)", () => {
    const ack = PendingAck.parse({ updateId: 3, text: "✅ 已保存：x", at: new Date().toISOString() });
    expect(ackText(flows, ack)).toBe("✅ 已保存：x");
    expect(() => PendingAck.parse({ updateId: 3, at: new Date().toISOString() })).toThrow();
  });
});
