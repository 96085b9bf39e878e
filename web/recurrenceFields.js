/**
 * The recurrence of a campaign (src/campaigns/recurrence.ts) as form fields: daily or weekly,
 * every N, on some weekdays, at one or more local times, from a first day, for a number of posts
 * or until a last day. `read()` answers the API's recurrence; `describe` puts one in words.
 */
import { field, h } from './dom.js';

export const WEEKDAYS = [['mo', 'Mon'], ['tu', 'Tue'], ['we', 'Wed'], ['th', 'Thu'], ['fr', 'Fri'], ['sa', 'Sat'], ['su', 'Sun']];

/** The recurrence with its keys in one order, so two can be compared as text. */
export function normalizeRecurrence(r) {
  const out = { frequency: r.frequency, interval: r.interval ?? 1 };
  if (r.weekdays?.length) out.weekdays = WEEKDAYS.map(([d]) => d).filter((d) => r.weekdays.includes(d));
  out.times = [...r.times].sort();
  out.startDate = r.startDate;
  if (r.count !== undefined) out.count = r.count;
  if (r.untilDate !== undefined) out.untilDate = r.untilDate;
  return out;
}

/** "Every day at 09:00 from 2026-03-01, 30 posts" */
export function describeRecurrence(r) {
  const unit = r.frequency === 'weekly' ? 'week' : 'day';
  const every = (r.interval ?? 1) === 1 ? `Every ${unit}` : `Every ${r.interval} ${unit}s`;
  const days = r.weekdays?.length ? ` on ${WEEKDAYS.filter(([d]) => r.weekdays.includes(d)).map(([, l]) => l).join(', ')}` : '';
  const end = r.count !== undefined ? `, ${r.count} post time(s)` : ` until ${r.untilDate}`;
  return `${every}${days} at ${[...r.times].sort().join(', ')}, from ${r.startDate}${end}`;
}

/** @param {any} initial  a recurrence to edit, or null; @param {string} today  local "YYYY-MM-DD" */
export function recurrenceFields(initial, today) {
  const r = initial ?? { frequency: 'daily', interval: 1, times: ['09:00'], startDate: today, count: 30 };
  const frequency = h('select', { name: 'frequency' },
    h('option', { value: 'daily', selected: r.frequency === 'daily' }, 'Daily'),
    h('option', { value: 'weekly', selected: r.frequency === 'weekly' }, 'Weekly'));
  const interval = h('input', { type: 'number', name: 'interval', min: 1, max: 52, value: r.interval ?? 1, required: true });
  const dayBoxes = WEEKDAYS.map(([d, label]) =>
    h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'weekday', value: d, checked: !!r.weekdays?.includes(d) }), h('span', null, label)));
  const dayHint = h('small', { class: 'hint' });
  const updateHints = () => {
    dayHint.textContent = frequency.value === 'weekly' ? 'A weekly series needs at least one day.' : 'Leave all empty for every day.';
  };
  frequency.addEventListener('change', updateHints);
  updateHints();

  const timeList = h('div', { class: 'time-list' });
  const addTime = (value) => {
    const input = h('input', { type: 'time', required: true, value });
    const row = h('div', { class: 'inline time-row' }, input,
      h('button', { type: 'button', class: 'secondary small', onclick: () => { if (timeList.children.length > 1) row.remove(); relabel(); } }, 'Remove'));
    timeList.append(row);
    relabel();
    return input;
  };
  const relabel = () => [...timeList.children].forEach((row, i) => {
    row.querySelector('input').setAttribute('aria-label', `Time ${i + 1}`);
    row.querySelector('button').setAttribute('aria-label', `Remove time ${i + 1}`);
  });
  for (const t of r.times) addTime(t);

  const startDate = h('input', { type: 'date', name: 'startDate', required: true, value: r.startDate });
  const byCount = h('input', { type: 'radio', name: 'end', value: 'count', checked: r.count !== undefined });
  const byDate = h('input', { type: 'radio', name: 'end', value: 'until', checked: r.count === undefined });
  const count = h('input', { type: 'number', name: 'count', min: 1, max: 1000, value: r.count ?? 30 });
  const untilDate = h('input', { type: 'date', name: 'untilDate', value: r.untilDate ?? '' });
  const syncEnd = () => {
    count.disabled = !byCount.checked;
    untilDate.disabled = !byDate.checked;
    untilDate.required = byDate.checked;
  };
  byCount.addEventListener('change', syncEnd);
  byDate.addEventListener('change', syncEnd);
  syncEnd();

  return {
    nodes: h('fieldset', { class: 'recurrence' }, h('legend', null, 'When'),
      h('div', { class: 'field-row' }, field('Repeats', frequency), field('Every (days or weeks)', interval)),
      h('fieldset', null, h('legend', null, 'On these days'), h('div', { class: 'choices' }, dayBoxes), dayHint),
      h('fieldset', null, h('legend', null, 'At these times'), timeList,
        h('button', { type: 'button', class: 'secondary small', onclick: () => addTime('12:00').focus() }, 'Add a time')),
      field('First day', startDate),
      h('fieldset', null, h('legend', null, 'Ends'),
        h('div', { class: 'choices' },
          h('label', { class: 'choice' }, byCount, h('span', null, 'After N post times')),
          h('label', { class: 'choice' }, byDate, h('span', null, 'On a date'))),
        h('div', { class: 'field-row' }, field('Number of post times', count), field('Last day', untilDate))),
    ),
    read() {
      const out = {
        frequency: frequency.value,
        interval: Number(interval.value),
        times: [...timeList.querySelectorAll('input')].map((i) => i.value).filter(Boolean),
        startDate: startDate.value,
      };
      const days = dayBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      if (days.length) out.weekdays = days;
      if (byCount.checked) out.count = Number(count.value);
      else out.untilDate = untilDate.value;
      return normalizeRecurrence(out);
    },
  };
}
