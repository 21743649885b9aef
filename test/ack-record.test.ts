import { describe, expect, it } from "vitest";
import { type AckRef, decode, encode, encodeAck, type Origin, PendingAck, pendingAck } from "../src/store/store.js";

/**
 * The acknowledgement record a commit stores is serialised without parsing
 * it again (encodeAck): it must be exactly what the validated encoding
 * writes, and read back as the record pendingAck built.
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

  it("is what encode(PendingAck) writes, and reads back as pendingAck's record", () => {
    for (const origin of origins) {
      const json = encodeAck(origin, at);
      expect(json).toBe(encode(PendingAck, "acks:101", pendingAck(origin, at)));
      expect(decode(PendingAck, "acks:101", json)).toEqual(pendingAck(origin, at));
    }
  });
});
