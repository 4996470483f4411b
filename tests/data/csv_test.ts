import { assert, deepEqual, equal, throws } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { parseCsv } from "../../src/data/csv.ts";

/** A validator: a DataFormatError naming `file` whose message matches. */
function formatError(re: RegExp, offset?: number) {
  return (err: unknown): boolean => {
    assert.ok(
      err instanceof DataFormatError,
      `expected DataFormatError, got ${err}`,
    );
    assert.match(err.message, re);
    assert.match(err.message, /^Cannot read CSV "m\.csv": /);
    equal(err.file, "m.csv");
    if (offset !== undefined) equal(err.offset, offset);
    return true;
  };
}

Deno.test("parseCsv() reads RFC 4180 quoting, CRLF, a BOM and blank lines", () => {
  const t = parseCsv(
    '\ufefffile, label\r\n"a,b.png","x ""y"""\r\n\r\n"two\nlines",2\r\nc.png , 3\r\n',
    "m.csv",
  );
  deepEqual(t.header, ["file", "label"]);
  deepEqual(t.rows, [["a,b.png", 'x "y"'], ["two\nlines", "2"], [
    "c.png",
    "3",
  ]]);
  // The quoted line break puts the second row's end on line 5.
  deepEqual(t.lines, [2, 5, 6]);
  deepEqual(parseCsv("a,b\n", "m.csv").rows, []);
});

Deno.test("parseCsv() refuses a stray or unclosed quote instead of swallowing rows", () => {
  // An unclosed quote on line 3 would eat lines 4 and 5 with a hand-written
  // splitter; byte offset 15 is where line 3 starts.
  throws(
    () => parseCsv('file,label\na,1\n"b,2\nc,3\nd,4\n', "m.csv"),
    formatError(/the quoted field opened on line 3 is never closed/, 15),
  );
  throws(
    () => parseCsv('file,label\na,1\nb"x,2\n', "m.csv"),
    formatError(/line 3 has a stray quote/, 15),
  );
  throws(
    () => parseCsv('file,label\n"a"b,1\n', "m.csv"),
    formatError(/line 2 has a stray quote/, 11),
  );
});

Deno.test("parseCsv() refuses ragged rows, a repeated column and an empty file", () => {
  throws(
    () => parseCsv("file,label\na,1\nb,2,extra\n", "m.csv"),
    formatError(/line 3 has 3 fields but the header line has 2/, 15),
  );
  throws(
    () => parseCsv("file,label\na\n", "m.csv"),
    formatError(/line 2 has 1 fields but the header line has 2/),
  );
  throws(
    () => parseCsv("file,label,file\na,1,b\n", "m.csv"),
    formatError(/names column "file" twice \(columns 1 and 3\)/, 0),
  );
  for (const empty of ["", "\ufeff", "\n\r\n"]) {
    throws(() => parseCsv(empty, "m.csv"), formatError(/the file is empty/, 0));
  }
});
