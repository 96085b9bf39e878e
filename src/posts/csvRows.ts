import { parse } from 'csv-parse/sync';
import { AppError } from '../http/errors.ts';

/**
 * The CSV import's file format. A header row names the columns (case-insensitive, any order,
 * each at most once):
 * - `time` (required): local date-time in the workspace's zone, "2026-03-01 09:00" or "2026-03-01T09:00";
 * - `connections` (or `connection`, required): one or more, separated by `;` or `|`, each a
 *   connection id or `platform:handle` (`x:perennial`, `linkedin:acme`);
 * - `text`: the post's text (quoted fields may hold commas, quotes and newlines);
 * - `media` (optional): `;`/`|`-separated, each an http(s) URL or the file name of an upload;
 * - `link` (optional): a link to attach.
 * UTF-8, with or without a byte order mark; lines end in LF, CRLF or CR.
 */
export type CsvRow = {
  /** The row as a spreadsheet numbers it (the header is row 1, blank lines count), for error messages. */
  row: number;
  time: string;
  connections: string[];
  text: string;
  media: string[];
  link: string;
};

export type CsvColumn = keyof Omit<CsvRow, 'row'>;

/** A problem tied to a row (row 1 is the header) and a column. */
export type RowError = { row: number; column: CsvColumn | 'header' | 'file'; code: string; message: string; platform?: string };

export const MAX_IMPORT_ROWS = 50_000;

const COLUMNS = 'time, connections, text, media, link';

const ALIASES: Record<string, CsvColumn> = {
  time: 'time',
  scheduled_at: 'time',
  connections: 'connections',
  connection: 'connections',
  text: 'text',
  media: 'media',
  link: 'link',
};

const split = (v: string) =>
  v
    .split(/[;|]/)
    .map((s) => s.trim())
    .filter(Boolean);

function refuse(message: string, errors: RowError[]): never {
  throw new AppError('csv_invalid', `${message}; nothing was imported`, { details: { errorCount: errors.length, errors } });
}

/** Parses the file; a file that is not CSV, or whose header is wrong, answers `csv_invalid` with the errors. */
export function parseImportCsv(input: string | Buffer): CsvRow[] {
  let records: { record: string[]; info: { records: number; empty_lines: number } }[];
  try {
    records = parse(input, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: false,
      trim: false,
      max_record_size: 200_000,
    }) as unknown as typeof records;
  } catch (err) {
    const message = `The file is not valid CSV: ${(err as Error).message}`;
    refuse(message, [{ row: (err as { lines?: number }).lines ?? 1, column: 'file', code: 'csv_malformed', message }]);
  }
  const [headerRecord, ...rows] = records;
  if (!headerRecord) refuse('The file is empty', [{ row: 1, column: 'file', code: 'empty_file', message: `The file is empty: it needs a header row (${COLUMNS}) and at least one row` }]);
  const header = headerRecord.record.map((h) => h.trim());
  const columns = header.map((h) => ALIASES[h.toLowerCase()]);
  const errors: RowError[] = [];
  header.forEach((name, i) => {
    if (columns[i] === undefined) errors.push({ row: 1, column: 'header', code: 'unknown_column', message: `unknown column "${name}" (columns: ${COLUMNS})` });
    else if (columns.indexOf(columns[i]) !== i) errors.push({ row: 1, column: 'header', code: 'duplicate_column', message: `column "${name}" appears more than once (as ${columns[i]})` });
  });
  for (const c of ['time', 'connections', 'text'] as const) {
    if (!columns.includes(c)) errors.push({ row: 1, column: 'header', code: 'missing_column', message: `missing column "${c}"` });
  }
  if (errors.length > 0) refuse(`The header has ${errors.length} problem(s): ${errors.map((e) => e.message).join('; ')}`, errors);
  if (rows.length === 0) refuse('The file has a header but no rows', [{ row: 2, column: 'file', code: 'no_rows', message: 'The file has a header but no rows' }]);
  if (rows.length > MAX_IMPORT_ROWS) {
    const message = `The file has ${rows.length} rows; at most ${MAX_IMPORT_ROWS} can be imported at once`;
    refuse(message, [{ row: 1, column: 'file', code: 'too_many_rows', message }]);
  }
  return rows.map(({ record, info }) => {
    const row: CsvRow = { row: info.records + info.empty_lines, time: '', connections: [], text: '', media: [], link: '' };
    record.forEach((value, c) => {
      const column = columns[c]!;
      if (column === 'connections' || column === 'media') row[column] = split(value);
      else if (column === 'text') row.text = value;
      else row[column] = value.trim();
    });
    return row;
  });
}
