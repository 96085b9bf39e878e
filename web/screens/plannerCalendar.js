/** The planner's month calendar: a grid of days (weeks start on Monday) with a chip per post. */
import { h } from '../dom.js';
import { addDays } from '../time.js';

export function nextMonth(month) {
  const [y, m] = month.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

export function prevMonth(month) {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** @param {(change: object) => string} withState  the planner URL with some of its state changed */
export function calendar(items, month, withState) {
  const byDay = new Map();
  for (const p of items) {
    if (!p.scheduledLocal) continue;
    const day = p.scheduledLocal.slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), p]);
  }
  const first = `${month}-01`;
  const lead = (new Date(`${first}T00:00:00Z`).getUTCDay() + 6) % 7;
  const last = addDays(`${nextMonth(month)}-01`, -1);
  const cells = [];
  for (let i = 0; i < lead; i++) cells.push(h('div', { class: 'day blank', 'aria-hidden': 'true' }));
  for (let d = first; d <= last; d = addDays(d, 1)) {
    const posts = byDay.get(d) ?? [];
    cells.push(
      h('div', { class: 'day', role: 'listitem', 'aria-label': `${d}: ${posts.length} post(s)` },
        h('span', { class: 'day-number' }, String(Number(d.slice(8)))),
        posts.map((p) => h('a', { class: `chip status-${p.status}`, href: withState({ view: 'list', status: '' }) + `#post-${p.id}`, title: p.content.text },
          `${p.scheduledLocal.slice(11, 16)} ${p.content.text.slice(0, 40)}`)),
      ),
    );
  }
  const title = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${first}T12:00:00Z`));
  return h('section', { class: 'calendar', 'aria-label': `Calendar ${title}` },
    h('div', { class: 'calendar-head' },
      h('a', { class: 'button secondary small', href: withState({ month: prevMonth(month) }), 'aria-label': 'Previous month' }, '←'),
      h('h2', null, title),
      h('a', { class: 'button secondary small', href: withState({ month: nextMonth(month) }), 'aria-label': 'Next month' }, '→'),
    ),
    h('div', { class: 'weekdays', 'aria-hidden': 'true' }, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => h('span', null, d))),
    h('div', { class: 'month', role: 'list' }, cells),
  );
}
