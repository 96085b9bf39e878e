/**
 * The sandbox banner: which platforms run against the built-in emulator (GET /api/platforms),
 * and, on a time-travel instance, the sandbox clock (every response carries it) with
 * "advance" buttons for the instance owner (POST /api/sandbox/advance).
 */
import { get, post } from './api.js';
import { busy, h, render, toast } from './dom.js';
import { refresh } from './navigation.js';
import { session } from './session.js';

let sandboxPlatforms = [];
let platformCount = 0;
let sandboxTime = null;

export async function showSandboxBanner() {
  try {
    const { platforms } = await get('/api/platforms');
    sandboxPlatforms = platforms.filter((p) => p.mode === 'sandbox');
    platformCount = platforms.length;
  } catch {
    // Without the platform list the banner stays as it was; screens report API errors themselves.
    return;
  }
  draw();
}

export function updateSandboxTime(iso) {
  if (sandboxTime === iso) return;
  sandboxTime = iso;
  draw();
}

function draw() {
  const banner = document.getElementById('sandbox-banner');
  if (sandboxPlatforms.length === 0 && !sandboxTime) {
    banner.hidden = true;
    return;
  }
  const all = sandboxPlatforms.length > 0 && sandboxPlatforms.length === platformCount;
  const names = sandboxPlatforms.map((p) => p.displayName).join(', ');
  render(
    banner,
    h('strong', null, 'Sandbox'),
    sandboxPlatforms.length
      ? h('span', null, all ? ' · Every platform runs against the built-in emulator: no real account is touched.' : ` · ${names} run against the built-in emulator.`)
      : null,
    sandboxTime ? h('span', { class: 'sandbox-clock' }, ` · Sandbox time: ${new Date(sandboxTime).toUTCString()}`) : null,
    sandboxTime && session.user?.isInstanceOwner
      ? h('span', { class: 'sandbox-advance' }, ' ', ['1d', '7d', '30d'].map((d) => h('button', { type: 'button', class: 'small', onclick: (e) => advance(e.currentTarget, d) }, `+${d}`)))
      : null,
  );
  banner.hidden = false;
}

async function advance(button, duration) {
  await busy(button, async () => {
    const report = await post('/api/sandbox/advance', { duration });
    const ran = report.queues.reduce((n, q) => n + q.ran, 0);
    await refresh();
    toast(`Moved ${duration}: ${report.steps} step(s), ${ran} task(s) ran.`);
  });
}
