import type { CellDef, Flow } from "../form/flow-schema.js";

/**
 * The one way numbers are shown to people (document, previews, messages):
 * integers as they are, money with at most 6 decimals and no trailing zeros,
 * never thousands separators (published tables do not use them), never
 * exponents. Decimal rounding (half away from zero) is done by Intl on the
 * decimal value, so 1.0000005 → "1.000001" and 0.1 + 0.2 → "0.3".
 */
const PLAIN = new Intl.NumberFormat("en-US", {
  useGrouping: false,
  maximumFractionDigits: 6,
});

export function formatNumber(n: number): string {
  // Most figures are counts: a safe integer prints as String does (never an exponent; -0 as "0"),
  // and Intl's formatting costs some twenty times more (test/format-number.test.ts compares both).
  if (Number.isSafeInteger(n)) return String(n);
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  const text = PLAIN.format(n);
  // "-0" (from -0 or a tiny negative rounded away) is zero to a reader.
  return text === "-0" ? "0" : text;
}

const MONEY_UNIT = "万元";

/**
 * A cell's value as printed: money carries its unit (万元) unless the column
 * label already names it, as the 2021 header 本年收费金额（单位：万元） does; the
 * 2019 label 采购总金额 has no unit, so the value says "239.8282万元".
 */
export function formatCellValue(def: Pick<CellDef, "kind" | "column"> | undefined, value: number): string {
  const text = formatNumber(value);
  if (def?.kind === "money" && !def.column.includes(MONEY_UNIT)) return `${text}${MONEY_UNIT}`;
  return text;
}

const defsByFlow = new WeakMap<Flow, Map<string, CellDef>>();

/** The flow's leaf cells by id, built once per flow (flows are loaded once and reused). */
export function cellDefs(flow: Flow): Map<string, CellDef> {
  let defs = defsByFlow.get(flow);
  if (!defs) {
    defs = new Map(flow.cells.map((c) => [c.id, c]));
    defsByFlow.set(flow, defs);
  }
  return defs;
}
