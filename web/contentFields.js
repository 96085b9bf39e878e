/**
 * The content part of the composer and of the campaign form: the accounts to post to, the text
 * (with a character counter against the tightest platform), a link, images or a video, and a
 * "Per platform" section with each chosen platform's own text and options (platformOptions.js),
 * stored as `content.overrides[platform]`.
 */
import { upload } from './api.js';
import { field, h } from './dom.js';
import { countCharacters, platformLabel, TEXT_LIMITS } from './platforms.js';
import { optionFieldsOf } from './platformOptions.js';

/**
 * @param {{ id: string }} workspace
 * @param {{ id: string, platform: string, displayName: string, state: string, meta?: Record<string, unknown> }[]} connections  the usable ones
 * @param {{ content: any, connectionIds: string[] } | null} initial  what is being edited, if anything
 */
export function contentFields(workspace, connections, initial = null) {
  const chosenAtStart = new Set(initial ? initial.connectionIds : connections.slice(0, 1).map((c) => c.id));
  const boxes = connections.map((c) =>
    h('label', { class: 'choice' },
      h('input', { type: 'checkbox', name: 'connection', value: c.id, checked: chosenAtStart.has(c.id), dataset: { platform: c.platform } }),
      h('span', null, `${platformLabel(c.platform)} · ${c.displayName}`),
      c.state === 'needs_reconnect' ? h('small', { class: 'status status-needs_reconnect' }, 'needs reconnect: the post waits, paused') : null,
    ),
  );
  const inputs = () => boxes.map((b) => b.querySelector('input'));
  const chosenIds = () => inputs().filter((i) => i.checked).map((i) => i.value);
  const chosenPlatforms = () => [...new Set(inputs().filter((i) => i.checked).map((i) => i.dataset.platform))];
  const missing = initial ? initial.connectionIds.filter((id) => !connections.some((c) => c.id === id)) : [];

  const content = initial?.content ?? {};
  const text = h('textarea', { name: 'text', rows: 6, maxlength: 70000 }, content.text ?? '');
  const counter = h('small', { class: 'hint', 'aria-live': 'polite' });
  const link = h('input', { type: 'url', name: 'link', placeholder: 'https://…', value: content.link ?? '' });
  const files = h('input', { type: 'file', name: 'media', multiple: true, accept: 'image/*,video/*' });
  let keptMedia = [...(content.mediaIds ?? [])];
  const attached = h('p', { class: 'hint attached' });
  const drawAttached = () => {
    attached.replaceChildren();
    if (keptMedia.length === 0) return;
    attached.append(`${keptMedia.length} file(s) attached. `,
      h('button', { type: 'button', class: 'link-button', onclick: () => { keptMedia = []; drawAttached(); } }, 'Remove attached files'));
  };
  drawAttached();
  // Files already uploaded (a retry after a refused post does not upload them again).
  const uploaded = new Map();
  const uploadAll = async () => {
    const ids = [];
    for (const file of files.files ?? []) {
      if (!uploaded.has(file)) uploaded.set(file, (await upload(`/api/workspaces/${workspace.id}/media`, file)).id);
      ids.push(uploaded.get(file));
    }
    return ids;
  };

  const perPlatform = new Map();
  const platformBox = h('div', { class: 'per-platform-list' });
  const details = h('details', { class: 'per-platform', open: Object.keys(content.overrides ?? {}).length > 0 },
    h('summary', null, 'Per platform: a different text or options'),
    h('p', { class: 'hint' }, 'Leave a field empty to use the main one.'),
    platformBox,
  );
  const sectionOf = (platform) => {
    if (perPlatform.has(platform)) return perPlatform.get(platform);
    const saved = content.overrides?.[platform] ?? {};
    const ownText = h('textarea', { rows: 3, maxlength: 70000, dataset: { overrideText: platform } }, saved.text ?? '');
    const ownCounter = h('small', { class: 'hint' });
    const accounts = connections.filter((c) => c.platform === platform);
    const options = optionFieldsOf(platform).map((o) => ({ option: o, control: optionControl(o, readPath(saved, o.key), accounts) }));
    const section = h('fieldset', { class: 'platform-override', dataset: { platform } },
      h('legend', null, platformLabel(platform)),
      field(`Version for ${platformLabel(platform)}`, ownText), ownCounter,
      options.map(({ option, control }) => field(option.label, control, option.hint)),
    );
    const entry = { section, ownText, ownCounter, options, saved };
    ownText.addEventListener('input', update);
    perPlatform.set(platform, entry);
    return entry;
  };

  function update() {
    const platforms = chosenPlatforms();
    platformBox.replaceChildren(...platforms.map((p) => sectionOf(p).section));
    const used = countCharacters(text.value);
    // The main text counts against the platforms that do not have their own.
    const limits = platforms.filter((p) => !sectionOf(p).ownText.value).map((p) => [p, TEXT_LIMITS[p]]).filter(([, n]) => n).sort((a, b) => a[1] - b[1]);
    const tightest = limits[0];
    counter.textContent = tightest ? `${used} / ${tightest[1]} characters (${platformLabel(tightest[0])})` : `${used} characters`;
    counter.classList.toggle('over', !!tightest && used > tightest[1]);
    for (const p of platforms) {
      const { ownText, ownCounter } = sectionOf(p);
      const n = countCharacters(ownText.value);
      ownCounter.textContent = ownText.value ? `${n}${TEXT_LIMITS[p] ? ` / ${TEXT_LIMITS[p]}` : ''} characters` : '';
      ownCounter.classList.toggle('over', !!TEXT_LIMITS[p] && n > TEXT_LIMITS[p]);
    }
  }
  text.addEventListener('input', update);
  for (const b of boxes) b.addEventListener('change', update);
  update();

  /** The overrides of the chosen platforms; keys this form does not draw are kept as they were. */
  const overrides = () => {
    const out = {};
    for (const p of chosenPlatforms()) {
      const { ownText, options, saved } = sectionOf(p);
      const o = window.structuredClone(saved);
      delete o.text;
      if (ownText.value) o.text = ownText.value;
      for (const { option, control } of options) writePath(o, option.key, optionValue(option, control));
      if (Object.keys(o).length > 0) out[p] = o;
    }
    return out;
  };

  return {
    text,
    nodes: [
      h('fieldset', null, h('legend', null, 'Post to'), h('div', { class: 'choices' }, boxes),
        missing.length ? h('p', { class: 'hint' }, `${missing.length} account(s) of this post are disconnected and left out.`) : null),
      field('Text', text),
      counter,
      field('Link (optional)', link),
      field('Images or a video (optional)', files, 'Instagram, TikTok, YouTube and Pinterest need media.'),
      attached,
      details,
    ],
    chosenIds,
    /** Uploads new files, then answers the API's `content` and `connectionIds`. */
    async read() {
      const body = { text: text.value, mediaIds: [...keptMedia, ...(await uploadAll())] };
      if (link.value.trim()) body.link = link.value.trim();
      if (content.mediaUrls?.length) body.mediaUrls = content.mediaUrls;
      const o = overrides();
      if (Object.keys(o).length > 0) body.overrides = o;
      return { content: body, connectionIds: chosenIds() };
    },
  };
}

/** Option keys may be paths into the override ("options.visibility"). */
function readPath(obj, key) {
  return key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

/** Sets (or, for undefined, removes) a path's value; objects left empty on the way are removed. */
function writePath(obj, key, value) {
  const [head, ...rest] = key.split('.');
  if (rest.length === 0) {
    if (value === undefined) delete obj[head];
    else obj[head] = value;
    return;
  }
  const child = obj[head] && typeof obj[head] === 'object' ? obj[head] : {};
  writePath(child, rest.join('.'), value);
  if (Object.keys(child).length > 0) obj[head] = child;
  else delete obj[head];
}

/** What a control holds, as the API takes it: undefined for "Default" or empty, booleans for yes/no. */
function optionValue(option, control) {
  const v = control.value.trim();
  if (!v) return undefined;
  return option.control === 'yesno' ? v === 'yes' : v;
}

/**
 * @param {import('./platformOptions.js').OptionField} option
 * @param {unknown} value  the stored value, if any
 * @param {{ displayName: string, meta?: Record<string, unknown> }[]} accounts  the workspace's accounts on the option's platform
 */
function optionControl(option, value, accounts) {
  if (option.control === 'board') {
    const boards = accounts.flatMap((a) => (Array.isArray(a.meta?.boards) ? a.meta.boards : [])
      .filter((b) => b && typeof b.id === 'string')
      .map((b) => [b.id, accounts.length > 1 ? `${b.name ?? b.id} (${a.displayName})` : String(b.name ?? b.id)]));
    if (boards.length > 0) {
      // A stored board the accounts no longer list stays selectable, so an edit does not drop it.
      const known = typeof value !== 'string' || boards.some(([id]) => id === value) ? boards : [...boards, [value, `Board ${value}`]];
      return optionControl({ ...option, control: 'select', choices: known }, value, accounts);
    }
    return optionControl({ ...option, control: 'text' }, value, accounts);
  }
  if (option.control === 'yesno') {
    const current = value === true ? 'yes' : value === false ? 'no' : '';
    return h('select', null, h('option', { value: '' }, 'Default'),
      [['yes', 'Yes'], ['no', 'No']].map(([v, label]) => h('option', { value: v, selected: v === current }, label)));
  }
  if (option.control === 'select') {
    return h('select', null, h('option', { value: '' }, 'Default'),
      (option.choices ?? []).map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
  }
  return h('input', { type: 'text', maxlength: option.maxLength ?? 1000, value: value ?? '' });
}
