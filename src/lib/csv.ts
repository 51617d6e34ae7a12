/**
 * CSV (RFC 4180) for the admin exports: every cell quoted when it needs to be, CRLF line ends, and cells that a
 * spreadsheet would run as a formula (starting with = + - @, tab or CR) prefixed with an apostrophe, since names,
 * versions and error text come from untrusted upstreams and users.
 */
export type CsvCell = string | number | null | undefined | Date;

const FORMULA_START = /^[=+\-@\t\r]/;

export const csvCell = (value: CsvCell): string => {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
};

export const toCsv = (header: string[], rows: CsvCell[][]): string =>
  [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
