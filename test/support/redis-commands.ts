import { Command } from "ioredis";

/** The commands any Redis client of this process writes while `run` runs, and their bytes as written. */
export async function commandsSent<T>(
  run: () => Promise<T>,
): Promise<{ result: T; commands: string[]; bytes: number }> {
  const commands: string[] = [];
  let bytes = 0;
  const original = Command.prototype.toWritable;
  Command.prototype.toWritable = function (this: Command, socket) {
    commands.push(this.name);
    const written = original.call(this, socket);
    bytes += typeof written === "string" ? Buffer.byteLength(written) : written.length;
    return written;
  };
  try {
    return { result: await run(), commands, bytes };
  } finally {
    Command.prototype.toWritable = original;
  }
}
