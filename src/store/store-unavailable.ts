/**
 * Whether an error means the store cannot be reached right now (Redis down,
 * stalled or reconnecting; the SQLite file locked or failing), as opposed to
 * a bug or bad data. Such an update is not lost: it stays in Telegram or in
 * the inbox, the officer is told it will be saved, and it is handled again
 * once the store answers.
 */
export function isStoreUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const { name, message, code } = e as { name?: string; message?: string; code?: string };
    if (name === "MaxRetriesPerRequestError") return true;
    if (
      code &&
      /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|SQLITE_BUSY|SQLITE_LOCKED|SQLITE_IOERR|SQLITE_FULL|SQLITE_CANTOPEN)/.test(
        code,
      )
    )
      return true;
    if (
      message &&
      /Command timed out|Connection is closed|Stream isn't writeable|enableOfflineQueue|LOADING|MASTERDOWN|The database connection is not open/.test(
        message,
      )
    )
      return true;
    // grammY wraps a middleware's error in BotError (.error); others use .cause.
    e = (e as { error?: unknown; cause?: unknown }).error ?? (e as { cause?: unknown }).cause;
  }
  return false;
}
