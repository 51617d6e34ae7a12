/**
 * CSV (RFC 4180) cells for exports opened in spreadsheets. A cell starting with = + - @ (or a tab or carriage
 * return) would run as a formula there (CSV injection): it gets a leading apostrophe, as OWASP advises.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export const csvCell = (value: string): string => {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export const csvLine = (cells: readonly string[]): string => cells.map(csvCell).join(',');
