/** A render module that ends its process mid-job, as one that runs out of memory would (render-pool tests). */
export default function dyingRender(): never {
  process.exit(3);
}
