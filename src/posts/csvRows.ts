import { parse } from 'csv-parse/sync';
import { AppError } from '../http/errors.ts';

/**
 * The CSV import's file format. A header row names the columns (case-insensitive, any order):
 * - `time` (required): local date-time in the workspace's zone, "2026-03-01 09:00" or "2026-03-01T09:00";
 * - `connections` (or `connection`, required): one or more, separated by `;` or `|`, each a
 *   connection id or `platform:handle` (`x:perennial`, `linkedin:acme`);
 * - `text`: the post's text;
 * - `media` (optional): `;`/`|`-separated, each an http(s) URL or the file name of an upload;
 * - `link` (optional): a link to attach.
 */
export type CsvRow = {
  /** The row as a spreadsheet numbers it (the header is row 1), for error messages. */
  row: number;
  time: string;
  connections: string[];
  text: string;
  media: string[];
  link: string;
};

export const MAX_IMPORT_ROWS = 50_000;

const ALIASES: Record<string, keyof Omit<CsvRow, 'row'>> = {
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

export function parseImportCsv(input: string | Buffer): CsvRow[] {
  let records: string[][];
  try {
    records = parse(input, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: false, max_record_size: 200_000 }) as string[][];
  } catch (err) {
    throw new AppError('csv_invalid', `The file is not valid CSV: ${(err as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new AppError('csv_invalid', 'The file is empty');
  const columns = header.map((h) => ALIASES[h.trim().toLowerCase()]);
  const unknown = header.filter((_, i) => columns[i] === undefined);
  const missing = (['time', 'connections', 'text'] as const).filter((c) => !columns.includes(c));
  if (missing.length > 0 || unknown.length > 0) {
    throw new AppError('csv_invalid', [
      missing.length ? `missing column(s): ${missing.join(', ')}` : '',
      unknown.length ? `unknown column(s): ${unknown.join(', ')}` : '',
    ].filter(Boolean).join('; ') + ' (columns: time, connections, text, media, link)');
  }
  if (rows.length === 0) throw new AppError('csv_invalid', 'The file has a header but no rows');
  if (rows.length > MAX_IMPORT_ROWS) throw new AppError('csv_invalid', `The file has ${rows.length} rows; at most ${MAX_IMPORT_ROWS} can be imported at once`);
  return rows.map((record, i) => {
    const row: CsvRow = { row: i + 2, time: '', connections: [], text: '', media: [], link: '' };
    record.forEach((value, c) => {
      const column = columns[c]!;
      if (column === 'connections' || column === 'media') row[column] = split(value);
      else if (column === 'text') row.text = value;
      else row[column] = value.trim();
    });
    return row;
  });
}
