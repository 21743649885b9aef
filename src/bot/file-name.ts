/**
 * A document's file name as it goes into the multipart upload's
 * Content-Disposition header (grammY writes it unquoted): unit names come
 * from officers and imported files, so spaces, `;`, `=`, quotes, path
 * separators and control characters, which cut the name or make Telegram
 * refuse the upload, become "_".
 */
export function safeFileName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return name.replace(/[\s;=,'"`\\/:*?<>|%\u0000-\u001f\u007f]/gu, "_");
}
