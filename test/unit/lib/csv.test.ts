import { expect, test } from '@jest/globals';
import { csvCell, toCsv } from '../../../src/lib/csv.js';

test('cells are quoted only when needed, quotes doubled, rows end in CRLF', () => {
  expect(toCsv(['a', 'b'], [['plain', 'with, comma'], ['say "hi"', 'two\nlines'], [null, 3]])).toBe(
    'a,b\r\nplain,"with, comma"\r\n"say ""hi""","two\nlines"\r\n,3\r\n',
  );
  expect(csvCell(' padded ')).toBe('" padded "');
  expect(csvCell(new Date('2026-01-02T03:04:05Z'))).toBe('2026-01-02T03:04:05.000Z');
});

test('text a spreadsheet would run as a formula gets a leading apostrophe', () => {
  expect(csvCell('=1+1')).toBe("'=1+1");
  expect(csvCell('+cmd')).toBe("'+cmd");
  expect(csvCell('-2+3')).toBe("'-2+3");
  expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  expect(csvCell('\t=1')).toBe("'\t=1");
  expect(csvCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
  // Numbers are values, not text: a negative count stays a number.
  expect(csvCell(-3)).toBe('-3');
  expect(csvCell('a=b')).toBe('a=b');
});
