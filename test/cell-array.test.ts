import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { cellArray, cellArrayOf, cellIndex, cellReader, withCells } from "../src/form/cell-array.js";
import type { Draft } from "../src/form/draft.js";
import { answeredSteps, formSteps, isAnswered, nextOpenStep, sectionProgress } from "../src/form/form-steps.js";
import { fixture } from "./support/fixtures.js";

/**
 * The cell array of a draft (and what is kept per draft from it) must read
 * exactly what looking each id up in the record reads, on any record: cells
 * absent, present, totals written by an import, ids the flow does not know.
 */
const formats = ["2021", "2019"] as const;

const draftOf = (format: (typeof formats)[number]) => {
  const flow = flowFor(format);
  const ids = [...cellIndex(flow).ids, "not.a.cell"];
  return fc
    .record({
      cells: fc.dictionary(fc.constantFrom(...ids), fc.oneof(fc.nat(50), fc.constant(-0), fc.constant(2.5)), {
        maxKeys: ids.length,
      }),
      parts: fc.subarray(flow.sections.flatMap((s) => s.parts.map((p) => p.id))),
    })
    .map(
      ({ cells, parts }): Draft => ({
        format,
        org: "某某镇人民政府",
        year: 2025,
        cells,
        narrative: Object.fromEntries(parts.map((id) => [id, "本年度……"])),
      }),
    );
};

describe("a draft's cell array", () => {
  for (const format of formats) {
    const flow = flowFor(format);

    it(`${format}: reads what the record reads, slot by slot, and the flow's cells come first`, () => {
      expect(cellIndex(flow).ids.slice(0, flow.cells.length)).toEqual(flow.cells.map((c) => c.id));
      fc.assert(
        fc.property(draftOf(format), (draft) => {
          const ids = cellIndex(flow).ids;
          const expected = ids.map((id) => draft.cells[id]);
          expect(cellArray(flow, draft.cells)).toEqual(expected);
          expect(cellArrayOf(flow, draft)).toEqual(expected);
          const read = cellReader(flow, draft);
          for (const id of [...ids, "not.a.cell"]) expect(read(id)).toBe(draft.cells[id]);
        }),
      );
    });

    it(`${format}: withCells sets the cells on a new record, and the array it keeps reads what the new record reads`, () => {
      const ids = [...cellIndex(flow).ids, "not.a.cell"];
      fc.assert(
        fc.property(
          draftOf(format),
          fc.boolean(),
          fc.uniqueArray(fc.constantFrom(...ids), { maxLength: 6 }),
          fc.array(fc.nat(99), { maxLength: 6 }),
          (draft, arrayKept, changed, values) => {
            const before = { ...draft.cells };
            if (arrayKept) cellArrayOf(flow, draft);
            const after = withCells(flow, draft, changed, values);
            expect(draft.cells).toEqual(before);
            expect(after.cells).not.toBe(draft.cells);
            expect(after.cells).toEqual({
              ...before,
              ...Object.fromEntries(changed.map((id, i) => [id, values[i] ?? 0])),
            });
            expect({ ...after, cells: draft.cells }).toEqual(draft);
            expect(cellArrayOf(flow, after)).toEqual(cellArray(flow, after.cells));
            expect(cellArrayOf(flow, draft)).toEqual(cellArray(flow, draft.cells));
          },
        ),
      );
    });

    it(`${format}: answered steps and the next open step are what isAnswered gives, from any step`, () => {
      const steps = formSteps(flow);
      fc.assert(
        fc.property(draftOf(format), fc.nat(steps.length + 3), (draft, from) => {
          expect(answeredSteps(flow, draft)).toEqual(steps.map((s) => isAnswered(s, draft)));
          const naive = steps.map((_, i) => steps[(from + i) % steps.length]!).find((s) => !isAnswered(s, draft));
          expect(nextOpenStep(flow, draft, from)).toBe(naive);
          for (const p of sectionProgress(flow, draft)) {
            const own = steps.filter((s) => s.section === p.section);
            expect(p.answered).toBe(own.filter((s) => isAnswered(s, draft)).length);
          }
        }),
      );
    });
  }

  it("is kept per cells record: a changed draft (a new record) never reads the old one's values", () => {
    const flow = flowFor("2021");
    const draft = fixture("report-2022");
    const id = flow.cells[0]!.id;
    const before = cellArrayOf(flow, draft);
    expect(cellArrayOf(flow, draft)).toBe(before);
    const changed: Draft = { ...draft, cells: { ...draft.cells, [id]: (draft.cells[id] ?? 0) + 1 } };
    expect(cellArrayOf(flow, changed)[0]).toBe((draft.cells[id] ?? 0) + 1);
    const emptied: Draft = { ...draft, cells: {} };
    expect(answeredSteps(flow, draft)).toEqual(formSteps(flow).map((s) => isAnswered(s, draft)));
    expect(answeredSteps(flow, emptied)).toEqual(formSteps(flow).map((s) => isAnswered(s, emptied)));
    expect(answeredSteps(flow, emptied)).not.toEqual(answeredSteps(flow, draft));
    expect(nextOpenStep(flow, emptied)).toBe(formSteps(flow).find((s) => !isAnswered(s, emptied)));
    // Kept for the flow it was made for: the other format's array is its own.
    expect(cellArrayOf(flowFor("2019"), draft)).toEqual(cellArray(flowFor("2019"), draft.cells));
  });
});
