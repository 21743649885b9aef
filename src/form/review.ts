import { z } from "zod";

/**
 * The hand-in and review of a campaign's report (定稿): submitted by an
 * officer, then returned with a comment or approved by a supervisor. A
 * submitted or approved report is locked; a returned one is open again.
 */
export const ReviewState = z.enum(["submitted", "returned", "approved"]);
export type ReviewState = z.infer<typeof ReviewState>;

export const REVIEW_COMMENT_LIMIT = 500;

/** A supervisor's comment on a part or a row: `step` is the question it is shown at. */
export const ReviewComment = z.strictObject({
  step: z.number().int().min(0).optional(),
  /** What it is about as the supervisor picked it, e.g. 三（三）3. */
  target: z.string().max(100).optional(),
  text: z.string().min(1).max(REVIEW_COMMENT_LIMIT),
});
export type ReviewComment = z.infer<typeof ReviewComment>;

export const Review = z.strictObject({
  state: ReviewState,
  at: z.iso.datetime(),
  by: z.number().int().positive(),
  comment: ReviewComment.optional(),
});
export type Review = z.infer<typeof Review>;

/** Submitted and approved reports take no edits. */
export const isLocked = (review: Review | undefined): boolean =>
  review?.state === "submitted" || review?.state === "approved";
