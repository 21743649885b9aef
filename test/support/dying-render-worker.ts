/** A render worker that dies mid-job, as one that runs out of memory would (render-pool tests). */
export default function dyingRender(): never {
  process.exit(3);
}
