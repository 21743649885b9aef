import { describe, expect, it } from "vitest";
import {
  type AckRef,
  decode,
  encodeAck,
  type Origin,
  PendingAck,
  pendingAck,
  StoreDataError,
} from "../src/store/store.js";

/**
 * The acknowledgement record a commit stores (encodeAck, both stores): it
 * reads back as the record pendingAck built, and one the schema refuses is
 * refused when written, not on the member's every later update.
 */
describe("the stored acknowledgement record", () => {
  const at = new Date("2026-01-10T02:00:05.123Z");
  const ref: AckRef = {
    row: ["2021", 13, [1, 2.5, 0, 3.5]],
    before: "⚠️ 覆盖了 <b>张三</b> 填写的数字",
    notes: ["含 2 件转办"],
    findings: ["r1", ["r2", "natural", 3, 4]],
  };
  const origins: Origin[] = [
    { userId: 101, updateId: 7, ack: "✅ 已保存：<b>工作概述</b>" },
    { userId: 101, updateId: 8, ack: "✅ 已保存", next: { reportId: "AAAAAAAAAA", step: 14 } },
    { userId: 101, updateId: 9, ack: "✅ …", ackRef: ref, next: { reportId: "AAAAAAAAAA", step: 0 } },
    { userId: 101, updateId: 10, ack: "", ackRef: { row: ["2021", 0, []] } },
  ];

  it("reads back as pendingAck's record", () => {
    for (const origin of origins) {
      const json = encodeAck("acks:101", origin, at);
      expect(decode(PendingAck, "acks:101", json)).toEqual(pendingAck(origin, at));
    }
  });

  it("is refused when the schema refuses it", () => {
    const bad: Origin = { userId: 101, updateId: 11, ack: "✅ 已保存", next: { reportId: "", step: -1 } };
    expect(() => encodeAck("acks:101", bad, at)).toThrow(StoreDataError);
  });
});
