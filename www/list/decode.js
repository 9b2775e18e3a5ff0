// A chosen file to text: refusing what is not a text list (spreadsheets,
// binaries) with a message that says what to do, and the encodings (UTF-16
// with a BOM, UTF-8, Windows-1252; the lines that are not UTF-8 in a mixed
// file). Also the line offsets the other parts count lines with.

const TEXT_TYPES = new Set(['csv', 'tsv', 'txt']);
const SPREADSHEETS = new Set(['xlsx', 'xlsm', 'xls', 'ods', 'numbers']);

/** A problem the person can act on; ends a load. */
export class ListError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }
}

/** The file name's extension, lower case ('' for none). */
export function extension(name) {
  const m = /\.([A-Za-z0-9]+)$/.exec(name ?? '');
  return m ? m[1].toLowerCase() : '';
}

/** Refuses what is not a text list, by name first, then by its first bytes. */
export function checkKind(name, type, bytes) {
  const ext = extension(name);
  if (SPREADSHEETS.has(ext)) {
    throw new ListError('wrong_type', `${name} is a spreadsheet. Save it as CSV (File → Save as → CSV UTF-8) and choose that file.`);
  }
  if (!TEXT_TYPES.has(ext) && !(ext === '' && (type ?? '').startsWith('text/'))) {
    throw new ListError('wrong_type', `${name} is not a list this page reads: choose a .csv, .tsv or .txt file.`);
  }
  const head = bytes.subarray(0, 65536);
  const magic = [
    [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (an Excel or OpenDocument spreadsheet?)'],
    [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
    [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
    [[0xff, 0xd8, 0xff], 'a JPEG image'],
    [[0xd0, 0xcf, 0x11, 0xe0], 'an old Office document (.xls?)'],
  ].find(([sig]) => sig.every((b, i) => head[i] === b));
  if (magic) {
    throw new ListError('binary', `${name} is not text: it looks like ${magic[1]}. Choose a CSV or text file.`);
  }
  if (isUtf16(head)) return;
  let control = 0;
  for (const b of head) {
    if (b === 0) throw new ListError('binary', `${name} is not a text file (it contains binary data). Choose a CSV or text file.`);
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) control++;
  }
  if (control > head.length / 100) {
    throw new ListError('binary', `${name} does not look like text (too many control characters). Choose a CSV or text file.`);
  }
}

function isUtf16(bytes) {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

/**
 * Counts, in bytes that are not UTF-8, the well-formed multi-byte UTF-8
 * sequences and the bytes outside any: which of the two the file mostly is.
 */
function utf8Shape(bytes) {
  let sequences = 0;
  let strays = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b < 0x80) { i++; continue; }
    const more = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    let ok = more > 0;
    for (let k = 1; ok && k <= more; k++) ok = (bytes[i + k] & 0xc0) === 0x80;
    if (ok) { sequences++; i += 1 + more; } else { strays++; i++; }
  }
  return { sequences, strays };
}

/**
 * Bytes to text. UTF-16 with a BOM (Excel's "Unicode text"); UTF-8 (a BOM is
 * dropped). A file that is not UTF-8 is either in a legacy single-byte
 * encoding — more stray high bytes than UTF-8 sequences, as when Excel saves
 * "CSV" on Windows — and is read as Windows-1252 (the WHATWG decoder, which
 * also covers Latin-1), or UTF-8 with some lines that are not (a mixed
 * file): those are read with U+FFFD in place of the bad bytes and their
 * numbers returned, as the CLI reports them.
 */
export function decode(bytes) {
  if (isUtf16(bytes)) {
    const label = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    return { text: new TextDecoder(label).decode(bytes), badLines: [], encoding: label };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), badLines: [], encoding: 'utf-8' };
  } catch {
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf; // says UTF-8 itself
    const { sequences, strays } = utf8Shape(bytes);
    if (!bom && strays > sequences) return { text: new TextDecoder('windows-1252').decode(bytes), badLines: [], encoding: 'windows-1252' };
    // Which lines? Bad bytes become U+FFFD, and line breaks stay where they
    // were, so only lines with a U+FFFD in the text need their bytes checked.
    const text = new TextDecoder('utf-8').decode(bytes);
    const textStarts = lineStartsOf(text, '\n');
    const byteStarts = [];
    let start = bom ? 3 : 0;
    for (; start >= 0; start = bytes.indexOf(0x0a, start) + 1 || -1) byteStarts.push(start);
    const strict = new TextDecoder('utf-8', { fatal: true });
    const badLines = [];
    let last = -1;
    for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
      const line = upperBound(textStarts, i); // 1-based line of offset i
      if (line === last) continue;
      last = line;
      const from = byteStarts[line - 1];
      const to = line < byteStarts.length ? byteStarts[line] : bytes.length;
      try { strict.decode(bytes.subarray(from, to)); } catch { badLines.push(line); }
    }
    return { text, badLines, encoding: 'utf-8' };
  }
}

/** The number of entries of the ascending `starts` that are <= x. */
export function upperBound(starts, x) {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] <= x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Start offsets of the text's lines (split at `brk`, '\n' or '\r'). */
export function lineStartsOf(text, brk) {
  let n = 1;
  for (let i = text.indexOf(brk); i >= 0; i = text.indexOf(brk, i + 1)) n++;
  const starts = new Uint32Array(n);
  let k = 1;
  for (let i = text.indexOf(brk); i >= 0; i = text.indexOf(brk, i + 1)) starts[k++] = i + 1;
  return starts;
}
