/**
 * The official faces of GB/T 9704 as a word processor must know them. Word
 * and WPS read word/fontTable.xml to pick a substitute when a face is not
 * installed (the _GB2312 faces are missing on most new machines); LibreOffice
 * (7.4) ignores the table and asks fontconfig, so the same declarations also
 * give a fontconfig file that maps each face to its generic family.
 */

export interface FontDecl {
  name: string;
  /** Names Word tries when `name` is missing, best first. */
  alt: string[];
  /** roman: serif (Song, FangSong, Kai); modern: sans (Hei) in CJK font tables. */
  family: "roman" | "modern";
  panose: string;
  pitch: "fixed" | "variable";
}

/** GB2312 charset, as Word writes it for Simplified Chinese faces. */
const CHARSET_GB2312 = "86";

export const FONT_DECLS: FontDecl[] = [
  {
    name: "仿宋_GB2312",
    alt: ["仿宋", "FangSong", "STFangsong"],
    family: "roman",
    panose: "02010609030101010101",
    pitch: "fixed",
  },
  {
    name: "楷体_GB2312",
    alt: ["楷体", "KaiTi", "STKaiti"],
    family: "roman",
    panose: "02010609030101010101",
    pitch: "fixed",
  },
  {
    name: "方正小标宋简体",
    alt: ["宋体", "SimSun", "STSong"],
    family: "roman",
    panose: "02000000000000000000",
    pitch: "variable",
  },
  { name: "黑体", alt: ["SimHei", "STHeiti"], family: "modern", panose: "02010609060101010101", pitch: "fixed" },
  { name: "宋体", alt: ["SimSun", "STSong"], family: "roman", panose: "02010600030101010101", pitch: "variable" },
];

const LATIN: { name: string; panose: string } = { name: "Times New Roman", panose: "02020603050405020304" };

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

/** word/fontTable.xml declaring every face the document uses. */
export function fontTableXml(): string {
  const entries = FONT_DECLS.map(
    (f) =>
      `<w:font w:name="${escapeXml(f.name)}"><w:altName w:val="${escapeXml(f.alt.join(","))}"/>` +
      `<w:panose1 w:val="${f.panose}"/><w:charset w:val="${CHARSET_GB2312}"/><w:family w:val="${f.family}"/>` +
      `<w:pitch w:val="${f.pitch}"/></w:font>`,
  );
  entries.unshift(
    `<w:font w:name="${LATIN.name}"><w:panose1 w:val="${LATIN.panose}"/><w:charset w:val="00"/>` +
      `<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>`,
  );
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">${entries.join("")}</w:fonts>`
  );
}

/**
 * A fontconfig file giving each official face (and its alternative names, and
 * the Latin face) its generic family, and Noto CJK as the face of each family,
 * so the document renders in Noto CJK only: the body in a serif face and 黑体
 * in a sans one, digits and Latin letters too. Without the second part a
 * machine that also has DejaVu (LibreOffice's packages bring it) sets every
 * run not marked Chinese in DejaVu Serif. Use it with FONTCONFIG_FILE, or copy
 * it into /etc/fonts/conf.d (README, "What the document looks like").
 */
export function fontconfigXml(): string {
  const faces = [...FONT_DECLS, { ...LATIN, alt: [], family: "roman" as const }];
  const aliases = faces.flatMap((f) =>
    [f.name, ...f.alt].map(
      (name) =>
        `  <alias binding="same"><family>${escapeXml(name)}</family>` +
        `<default><family>${f.family === "roman" ? "serif" : "sans-serif"}</family></default></alias>`,
    ),
  );
  return [
    `<?xml version="1.0"?>`,
    `<!DOCTYPE fontconfig SYSTEM "fonts.dtd">`,
    `<fontconfig>`,
    // Before the system rules: those append sans-serif to any family they do not know, and put
    // DejaVu first in each generic family.
    ...aliases,
    `  <alias binding="strong"><family>serif</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>`,
    `  <alias binding="strong"><family>sans-serif</family><prefer><family>Noto Sans CJK SC</family></prefer></alias>`,
    `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>`,
    `</fontconfig>`,
    ``,
  ].join("\n");
}
