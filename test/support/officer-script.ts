import type { Draft } from "../../src/form/draft.js";
import type { Flow } from "../../src/form/flow-schema.js";
import { type FormStep, formSteps } from "../../src/form/form-steps.js";
import { type BotDocument, type BotMessage, buttonTexts, type Officer } from "./fake-telegram.js";

/**
 * An officer filling a whole report from a fixture through chat messages and
 * button presses only, reading each question as a person would: the row
 * question names its table and "第 n/m 行" and the row label, a narrative part
 * shows its heading and hint. Hooks run after every save so a test can kill
 * and restart the bot there; afterRowSaved may return the message that now
 * asks the current question (e.g. the reply to /fill).
 */

type RowStep = Extract<FormStep, { kind: "row" }>;
type PartStep = Extract<FormStep, { kind: "part" }>;

export interface ScriptHooks {
  /**
   * Before a step is answered, with the message asking it: odd inputs go here. Returns the message
   * that asks the same step now, when the hook made the bot ask it again.
   */
  beforeAnswer?: (step: FormStep, question: BotMessage) => Promise<BotMessage | undefined>;
  /** How the officer types a row's figures (default: digits separated by spaces). */
  typeRow?: (step: RowStep, values: number[]) => string | undefined;
  /** How the officer types a piece of a part (default: as it is); what is saved is the piece's visible text. */
  typePiece?: (step: PartStep, piece: string) => string;
  /** After a row's (or a whole table's) 已保存; `reply` also asks the next question. */
  afterRowSaved?: (step: RowStep, reply: BotMessage) => Promise<BotMessage | undefined>;
  /** After the first of two messages of a part was saved, before 完成 (the script then sends the second). */
  afterPartHalfSaved?: (step: PartStep, reply: BotMessage, written: string) => Promise<void>;
}

export interface ScriptOptions {
  /** Tables (by id) answered with their 全部为0 button; the fixture must have them all zero. */
  tableZero?: string[];
  /** Parts at least this long without a line break are sent as two messages, cut at a 。 near the middle. */
  splitLongerThan?: number;
}

/** Which step a question message asks, or undefined when it asks none. */
export function stepOfQuestion(flow: Flow, text: string): FormStep | undefined {
  const steps = formSteps(flow);
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    const m = /^(.+) 第 (\d+)\/(\d+) 行$/.exec(line);
    if (!m) continue;
    const title = lines[i + 1] ?? "";
    const found = steps.filter(
      (s): s is RowStep =>
        s.kind === "row" &&
        s.table.name === m[1] &&
        s.position === Number(m[2]) - 1 &&
        s.table.steps.length === Number(m[3]) &&
        title.endsWith(s.row.label),
    );
    if (found.length !== 1) throw new Error(`a row question that names no single row: ${line} / ${title}`);
    return found[0];
  }
  return steps.find(
    (s) =>
      s.kind === "part" &&
      lines.some((line, i) => line.endsWith(s.part.heading ?? s.section.heading) && lines[i + 1] === s.part.hint),
  );
}

/** A part as the officer sends it: split at its line break, or at a 。 near the middle when long. */
export function partPieces(text: string, splitLongerThan: number): string[] {
  const lineBreak = text.indexOf("\n");
  if (lineBreak > 0) return [text.slice(0, lineBreak), text.slice(lineBreak + 1)];
  const chars = [...text];
  if (chars.length < splitLongerThan) return [text];
  const middle = Math.floor(chars.length / 2);
  const stops = chars.flatMap((c, i) => (c === "。" && i < chars.length - 1 ? [i + 1] : []));
  const cut = stops.sort((a, b) => Math.abs(a - middle) - Math.abs(b - middle))[0];
  return cut === undefined ? [text] : [chars.slice(0, cut).join(""), chars.slice(cut).join("")];
}

export class OfficerScript {
  /** What the officer's messages put in the report: each typed row, each part as sent. */
  readonly expected: Draft;
  /** The steps answered by typing figures (not by a button). */
  readonly typedRows = new Set<string>();
  private readonly steps: FormStep[];

  constructor(
    private readonly officer: Officer,
    private readonly flow: Flow,
    private readonly fixture: Draft,
    private readonly hooks: ScriptHooks = {},
    private readonly options: ScriptOptions = {},
  ) {
    this.steps = formSteps(flow);
    this.expected = { format: fixture.format, org: fixture.org, year: fixture.year, narrative: {}, cells: {} };
  }

  /** /new (or what `first` says: the reply that created the report), then every question until each step is answered. */
  async fill(first?: BotMessage): Promise<void> {
    const { org, year } = this.fixture;
    let question = first ?? (await this.say(`/new ${org} ${year}`));
    expectText(question, "已新建");
    const done = new Set<number>();
    while (done.size < this.steps.length) {
      const step = stepOfQuestion(this.flow, question.text);
      if (!step) throw new Error(`expected a question, got: ${question.text}`);
      if (done.has(step.index)) throw new Error(`asked again for step ${step.index}: ${question.text}`);
      question = (await this.hooks.beforeAnswer?.(step, question)) ?? question;
      if (stepOfQuestion(this.flow, question.text)?.index !== step.index)
        throw new Error(`after the odd inputs, expected step ${step.index} asked again, got: ${question.text}`);
      const answered = step.kind === "row" ? await this.answerRow(step, question) : await this.answerPart(step);
      for (const s of answered.steps) done.add(s.index);
      question = answered.next;
    }
  }

  /**
   * /report as an officer goes through it: the 成文日期 (the suggested one, or
   * 20 January after the report year typed in), the contact skipped, each
   * warning confirmed in turn, and the document; `warnings` holds the warning
   * questions. Fails on errors (only a 草稿 possible).
   */
  async report(): Promise<{ document: BotDocument; warnings: string }> {
    let reply = await this.say("/report");
    const warnings: string[] = [];
    while (!reply.document) {
      const buttons = buttonTexts(reply).flat();
      const warning = buttons.find((b) => b.startsWith("已核实"));
      if (buttons.includes("用这个")) reply = await this.press("用这个");
      else if (buttons.includes("填写成文日期")) {
        await this.press("填写成文日期");
        reply = await this.say(`${this.fixture.year + 1}-01-20`);
      } else if (buttons.includes("填写联系方式")) reply = await this.press("跳过");
      else if (buttons.includes("生成正式报告")) reply = await this.press("生成正式报告");
      else if (warning) {
        warnings.push(reply.text);
        reply = await this.press(warning);
      } else throw new Error(`expected the document, got: ${reply.text}`);
    }
    const document = this.officer.documents.find((d) => d.messageId === reply.messageId);
    if (!document) throw new Error("the document message is not among the chat's documents");
    return { document, warnings: warnings.join("\n") };
  }

  /** Sends a text and returns the bot's next message. */
  async say(text: string): Promise<BotMessage> {
    this.officer.send(text);
    return this.officer.nextReply();
  }

  private async press(button: string | RegExp): Promise<BotMessage> {
    this.officer.press(button);
    return this.officer.nextReply();
  }

  private async answerRow(step: RowStep, question: BotMessage): Promise<{ steps: FormStep[]; next: BotMessage }> {
    const valuesOf = (s: RowStep) =>
      s.row.cells.map((id) => {
        const v = this.fixture.cells[id];
        if (v === undefined) throw new Error(`the fixture has no value for ${id}`);
        return v;
      });
    const { table } = step;
    let steps: RowStep[] = [step];
    let reply: BotMessage;
    if (this.options.tableZero?.includes(table.id)) {
      if (step.position !== 0) throw new Error(`${table.name} should be answered at its first row`);
      const rows = table.steps.map((_, i) => this.steps[step.index + i] as RowStep);
      if (rows.some((s) => valuesOf(s).some((v) => v !== 0))) throw new Error(`${table.name} is not all zero`);
      reply = await this.press(`${table.name}全部为0`);
      steps = rows;
    } else {
      const values = valuesOf(step);
      const allZero = values.every((v) => v === 0);
      if (allZero && step.index % 2 === 0) {
        if (!buttonTexts(question).flat().includes("本行全为0")) throw new Error(`no 本行全为0 on: ${question.text}`);
        reply = await this.press("本行全为0");
      } else {
        this.typedRows.add(step.row.id);
        reply = await this.say(this.hooks.typeRow?.(step, values) ?? values.map(String).join(" "));
      }
    }
    expectText(reply, "已保存");
    for (const s of steps) {
      const values = valuesOf(s);
      s.row.cells.forEach((id, i) => {
        this.expected.cells[id] = values[i]!;
      });
    }
    return { steps, next: (await this.hooks.afterRowSaved?.(step, reply)) ?? reply };
  }

  private async answerPart(step: PartStep): Promise<{ steps: FormStep[]; next: BotMessage }> {
    const id = step.part.id;
    const text = this.fixture.narrative[id] ?? "";
    if (!text.trim() && !step.part.optional) throw new Error(`the fixture has no text for the required part ${id}`);
    const pieces = text.trim() ? partPieces(text, this.options.splitLongerThan ?? 200) : [];
    let written = "";
    for (const [i, piece] of pieces.entries()) {
      const reply = await this.say(this.hooks.typePiece?.(step, piece) ?? piece);
      written = written ? `${written}\n${piece}` : piece;
      expectText(reply, "已保存到「");
      expectText(reply, `这一部分现在 ${[...written].length} 字`);
      if (i === 0 && pieces.length > 1) await this.hooks.afterPartHalfSaved?.(step, reply, written);
    }
    if (written) this.expected.narrative[id] = written;
    return { steps: [step], next: await this.press("完成") };
  }
}

function expectText(message: BotMessage, part: string): void {
  if (!message.text.includes(part)) throw new Error(`expected "${part}" in the bot's reply, got: ${message.text}`);
}
