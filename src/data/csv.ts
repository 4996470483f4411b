/**
 * The one CSV reader of the loaders (image-folder label files, the Galaxy
 * Zoo solutions table): RFC 4180 parsing by the npm package `csv-parse`,
 * with its errors turned into {@linkcode DataFormatError}s that name the
 * file and the line.
 *
 * @module
 */
import { CsvError, parse } from "csv-parse/sync";
import { DataFormatError } from "../errors.ts";

/** A parsed CSV: the header and the rows below it, as strings. */
export interface CsvTable {
  /** The fields of the first line (column names), whitespace-trimmed. */
  header: string[];
  /** One array per data row, each with `header.length` trimmed fields. */
  rows: string[][];
  /**
   * The 1-based line of each row in the file (where the row ends, which is
   * where it starts unless a quoted field spans lines).
   */
  lines: number[];
}

/** What `csv-parse` returns per record with `info: true`. */
interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

/** The 1-based line holding byte `offset` of `bytes`. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
    }
  }
  return line;
}

/** The byte offset where 1-based `line` of `bytes` starts. */
function lineOffset(bytes: Uint8Array, line: number): number {
  let at = 1;
  for (let i = 0; i < bytes.length && at < line; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) {
      at++;
      if (at === line) return i + 1;
    }
  }
  return at === line ? 0 : bytes.length;
}

/** The first byte at or after `offset` that is not a line break. */
function skipBlank(bytes: Uint8Array, offset: number): number {
  while (
    offset < bytes.length && (bytes[offset] === 0x0a || bytes[offset] === 0x0d)
  ) offset++;
  return offset;
}

/** Turns a `csv-parse` error into a DataFormatError naming file and line. */
function formatError(
  err: CsvError,
  text: string,
  file: string,
): DataFormatError {
  const bytes = new TextEncoder().encode(text);
  const info = err as CsvError & {
    lines?: number;
    bytes?: number;
    record?: string[];
  };
  let line = info.lines ?? 1;
  let offset = lineOffset(bytes, line);
  let reason: string;
  let fix: string;
  switch (err.code) {
    case "CSV_QUOTE_NOT_CLOSED": {
      // `bytes` is where the last complete row ended: the open row starts
      // at the next non-blank line.
      offset = skipBlank(bytes, info.bytes ?? 0);
      line = lineAt(bytes, offset);
      reason =
        `the quoted field opened on line ${line} is never closed (it swallows the rest of the file)`;
      fix = 'close the quote, or double a quote inside a field ("a ""b""")';
      break;
    }
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH": {
      const n = info.record?.length ?? "another number of";
      reason = `line ${line} has ${n} fields but the header line has ${
        headerLength(text)
      }`;
      fix = "give every row one field per header column";
      break;
    }
    case "INVALID_OPENING_QUOTE":
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      reason = `line ${line} has a stray quote (${err.message})`;
      fix = 'quote the whole field and double the quotes inside it ("a ""b""")';
      break;
    default:
      reason = `line ${line}: ${err.message}`;
      fix = "write the file as RFC 4180 CSV";
  }
  return new DataFormatError(`Cannot read CSV "${file}": ${reason}; ${fix}`, {
    file,
    offset,
  });
}

/** Fields of the first non-blank line (only for error messages). */
function headerLength(text: string): number {
  try {
    const first = parse(text, {
      bom: true,
      to_line: 1,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
    }) as string[][];
    return first[0]?.length ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Parses CSV text (RFC 4180: quoted fields may hold commas, line breaks
 * and doubled quotes) into a header and rows, strictly.
 *
 * A UTF-8 byte-order mark is dropped; line breaks may be `\n`, `\r\n` or
 * `\r`; blank lines are skipped; whitespace around each field is trimmed.
 * Refused (a {@linkcode DataFormatError} naming `file`, the line, and the
 * byte offset where that line starts): an empty file, a quote left open
 * (which would swallow the rows after it), a stray quote inside an
 * unquoted field or after a closing quote, a row whose field count differs
 * from the header's, and a header naming one column twice.
 *
 * @param text The file's text.
 * @param file The file name, for messages.
 * @returns The header and the data rows with their line numbers.
 * @throws {DataFormatError} On any of the problems above.
 *
 * @example Quoted commas and quotes, and a stray quote refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataFormatError, parseCsv } from "@hsvae/hsvae";
 *
 * const t = parseCsv('file,label\n"a,b.png","the ""cat"""\n', "labels.csv");
 * assert.deepEqual(t.header, ["file", "label"]);
 * assert.deepEqual(t.rows, [["a,b.png", 'the "cat"']]);
 * assert.deepEqual(t.lines, [2]);
 * assert.throws(
 *   () => parseCsv('file,label\nx.png,"cat\ny.png,dog\n', "labels.csv"),
 *   (e: unknown) => e instanceof DataFormatError && /opened on line 2 is never closed/.test(e.message),
 * );
 * ```
 */
export function parseCsv(text: string, file: string): CsvTable {
  let records: ParsedRecord[];
  try {
    records = parse(text, {
      bom: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: false,
      relax_quotes: false,
      record_delimiter: ["\r\n", "\n", "\r"],
      // `info: true` makes each record `{ record, info }`, which the
      // package's typings do not express.
    }) as unknown as ParsedRecord[];
  } catch (err) {
    if (err instanceof CsvError) throw formatError(err, text, file);
    throw err;
  }
  if (records.length === 0) {
    throw new DataFormatError(
      `Cannot read CSV "${file}": the file is empty; expected a header line naming the columns`,
      { file, offset: 0 },
    );
  }
  const header = records[0].record;
  const seen = new Map<string, number>();
  for (const [k, name] of header.entries()) {
    const before = seen.get(name);
    if (before !== undefined) {
      throw new DataFormatError(
        `Cannot read CSV "${file}": the header names column "${name}" twice (columns ${
          before + 1
        } and ${k + 1}); rename one`,
        { file, offset: 0 },
      );
    }
    seen.set(name, k);
  }
  const body = records.slice(1);
  return {
    header,
    rows: body.map((r) => r.record),
    lines: body.map((r) => r.info.lines),
  };
}
