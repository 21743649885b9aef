import pino from "pino";

/**
 * What an error says in a log: its type, message, stack and codes, but never
 * a Bot API call's payload (GrammyError.payload holds the officer's text, a
 * unit name, a narrative): the method and Telegram's error code are enough.
 */
function errorFields(e: Error): Record<string, unknown> {
  const { payload: _payload, ...rest } = pino.stdSerializers.err(e) as unknown as Record<string, unknown>;
  const cause = (e as { error?: unknown }).error;
  if (cause instanceof Error) rest.error = errorFields(cause);
  return rest;
}

/** Structured logs that never carry the bot token or an officer's text, whatever a library puts in an error. */
export function createLogger(level: string, secrets: string[], destination?: pino.DestinationStream): pino.Logger {
  const scrub = (s: string) =>
    secrets.reduce((out, secret) => (secret ? out.replaceAll(secret, "<redacted>") : out), s);
  const scrubJson = <T>(value: T): T => JSON.parse(scrub(JSON.stringify(value))) as T;
  const options: pino.LoggerOptions = {
    level,
    serializers: { err: (e: Error) => scrubJson(errorFields(e)) },
    hooks: {
      logMethod(args, method) {
        // pino takes the message of a lone Error as msg: give it a scrubbed one.
        const [first, ...rest] = args;
        const clean = first instanceof Error && rest.length === 0 ? [{ err: first }, scrub(first.message)] : args;
        method.apply(this, clean.map((a) => (typeof a === "string" ? scrub(a) : a)) as Parameters<typeof method>);
      },
    },
    formatters: {
      log: (object) => {
        const { err, ...rest } = object;
        return { ...scrubJson(rest), ...(err === undefined ? {} : { err }) };
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
