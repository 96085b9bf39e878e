/**
 * Bulk import from CSV (POST .../imports/csv, Content-Type text/csv): check the file first (a
 * dry run), then import. Any problem answers csv_invalid with the errors by row, and nothing is
 * imported; the screen lists them so the file can be fixed in the spreadsheet.
 */
import { send } from '../api.js';
import { busy, errorText, field, h, render } from '../dom.js';
import { canEdit, currentWorkspace } from '../session.js';

const EXAMPLE = 'time,connections,text,media,link\n2026-03-02 09:00,x:acme;linkedin:acme,Day 1 of the spring launch,,https://acme.example/spring\n2026-03-03 09:00,x:acme,Day 2: behind the scenes,https://acme.example/day2.jpg,';

export function renderImport(main) {
  const workspace = currentWorkspace();
  if (!canEdit(workspace)) {
    render(main, h('h1', null, 'Import from CSV'), h('p', { class: 'hint' }, 'You are a viewer in this workspace: importing needs the editor role.'));
    return;
  }
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,text/csv', required: true });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const outcome = h('div', { class: 'import-outcome', 'aria-live': 'polite' });

  const run = (dryRun) => (e) => {
    e.preventDefault();
    const button = dryRun ? e.currentTarget : e.submitter;
    const chosen = file.files?.[0];
    if (!chosen) {
      error.textContent = 'Choose a CSV file first.';
      return;
    }
    outcome.replaceChildren();
    void busy(button, async () => {
      try {
        const result = await send('POST', `/api/workspaces/${workspace.id}/imports/csv?dryRun=${dryRun}`, await chosen.text(), 'text/csv');
        outcome.replaceChildren(dryRun
          ? h('p', { class: 'notice notice-ok', role: 'status' }, `The file is valid: ${result.targets} post target(s) would be scheduled. Nothing was imported yet.`)
          : h('p', { class: 'notice notice-ok', role: 'status' }, `Imported ${result.imported} post(s) with ${result.targets} target(s). `, h('a', { href: '/planner' }, 'See them in the planner')));
      } catch (err) {
        if (err?.code !== 'csv_invalid') throw err;
        outcome.replaceChildren(rowErrors(err));
      }
    }, error);
  };

  render(
    main,
    h('div', { class: 'screen-head' }, h('h1', null, 'Import from CSV'), h('p', { class: 'sub' }, `${workspace.name} · times in ${workspace.timeZone}`)),
    h('form', { class: 'panel', onsubmit: run(false), 'aria-label': 'CSV import' },
      h('p', null, 'One row per post. The whole file is checked first: if any row has a problem, nothing is imported.'),
      field('CSV file', file),
      error,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: run(true) }, 'Check the file'),
        h('button', { type: 'submit', class: 'primary' }, 'Import'),
      ),
    ),
    outcome,
    h('section', { class: 'panel', 'aria-labelledby': 'format-title' },
      h('h2', { id: 'format-title' }, 'Columns'),
      h('ul', null,
        h('li', null, h('code', null, 'time'), ': local date-time in the workspace’s zone, 2026-03-02 09:00'),
        h('li', null, h('code', null, 'connections'), ': one or more accounts, separated by ;, as platform:handle (x:acme) or a connection id'),
        h('li', null, h('code', null, 'text'), ': the post'),
        h('li', null, h('code', null, 'media'), ' (optional): image or video URLs, or names of uploaded files, separated by ;'),
        h('li', null, h('code', null, 'link'), ' (optional): a link to attach'),
      ),
      h('pre', { class: 'example' }, EXAMPLE),
    ),
  );
}

/** csv_invalid: the errors by row (the API caps the list; the count is complete). */
function rowErrors(err) {
  const errors = err.details?.errors ?? [];
  const count = err.details?.errorCount ?? errors.length;
  return h('section', { class: 'panel error-panel', role: 'alert', 'aria-labelledby': 'csv-errors-title' },
    h('h2', { id: 'csv-errors-title' }, `${count} problem(s) in the file: nothing was imported`),
    errors.length === 0
      ? h('p', null, errorText(err))
      : h('div', { class: 'table-wrap' },
          h('table', { class: 'csv-errors' },
            h('thead', null, h('tr', null, ['Row', 'Column', 'Problem', 'Code'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', null, errors.map((e) => h('tr', null, h('td', null, String(e.row)), h('td', null, e.column), h('td', null, e.message), h('td', null, h('code', null, e.code))))),
          )),
    count > errors.length ? h('p', { class: 'hint' }, `The first ${errors.length} are listed.`) : null,
  );
}
