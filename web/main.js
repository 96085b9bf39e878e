/**
 * The web app's entry: loads the session, draws the header, and routes paths to screens
 * (history API; the server answers index.html at every app path, see src/web/webRoutes.ts).
 */
import { ApiError, onSandboxTime, post } from './api.js';
import { navigate, setRouter } from './navigation.js';
import { h, render, toast, errorText } from './dom.js';
import { checkReconnectPopup } from './reconnectPopup.js';
import { refreshRiskCount, riskBadge } from './risk.js';
import { showSandboxBanner, updateSandboxTime } from './sandboxBanner.js';
import { currentWorkspace, loadSession, selectWorkspace, session, signedOut } from './session.js';
import { followServerTime } from './time.js';
import { refreshUnreadCount, unreadBadge } from './unreadCount.js';
import { renderAccessRegister } from './screens/accessRegister.js';
import { renderAccount } from './screens/account.js';
import { renderAtRisk } from './screens/atRisk.js';
import { renderCampaign } from './screens/campaign.js';
import { renderCampaigns, renderNewCampaign } from './screens/campaigns.js';
import { renderConnections, startReconnect } from './screens/connections.js';
import { renderCompose } from './screens/compose.js';
import { renderImport } from './screens/importCsv.js';
import { renderInvitation } from './screens/invitation.js';
import { renderMembers } from './screens/members.js';
import { renderNotifications } from './screens/notifications.js';
import { renderOverview } from './screens/overview.js';
import { renderPlanner } from './screens/planner.js';
import { renderSignIn } from './screens/signIn.js';
import { renderWebhooks } from './screens/webhooks.js';
import { renderWorkspaceSettings } from './screens/workspaceSettings.js';
import { renderWorkspaces } from './screens/workspaces.js';

/** [path, label, also current under these paths] */
const NAV = [
  ['/connections', 'Connections'],
  ['/compose', 'Compose'],
  ['/planner', 'Planner', ['/import']],
  ['/campaigns', 'Campaigns'],
  ['/at-risk', 'At risk'],
  ['/settings/workspace', 'Settings', ['/settings/members', '/settings/access-register', '/settings/webhooks']],
  ['/overview', 'All workspaces'],
  ['/workspaces', 'Workspaces'],
];

/** [pattern, screen, needs a workspace]; `:name` segments become params (src/web/webRoutes.ts serves each). */
const ROUTES = [
  ['/connections/:connectionId/reconnect', (main, p) => startReconnect(main, p.connectionId), false],
  ['/connections', renderConnections, true],
  ['/compose', renderCompose, true],
  ['/planner', renderPlanner, true],
  ['/import', renderImport, true],
  ['/campaigns', renderCampaigns, true],
  ['/campaigns/new', renderNewCampaign, true],
  ['/campaigns/:campaignId', renderCampaign, true],
  ['/at-risk', renderAtRisk, false],
  ['/notifications', renderNotifications, false],
  ['/settings/notifications', renderNotifications, false],
  ['/settings/account', renderAccount, false],
  ['/settings/workspace', renderWorkspaceSettings, true],
  ['/settings/members', renderMembers, true],
  ['/settings/access-register', renderAccessRegister, true],
  ['/settings/webhooks', renderWebhooks, true],
  ['/overview', renderOverview, false],
  ['/workspaces', renderWorkspaces, false],
  ['/invitation', renderInvitation, false],
];

function match(pathname) {
  for (const [pattern, screen, needsWorkspace] of ROUTES) {
    const names = [];
    const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, n) => (names.push(n), '([^/]+)'))}/?$`);
    const m = re.exec(pathname);
    if (m) return { screen, needsWorkspace, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

async function route() {
  const main = document.getElementById('main');
  const url = new URL(location.href);
  if (url.pathname === '/invitation') {
    // Works signed in or out: the invitation screen offers sign-up with the token.
    drawHeader();
    await show(main, renderInvitation, {});
    return;
  }
  if (!session.user) {
    document.getElementById('app-header').hidden = true;
    await show(main, renderSignIn, {});
    return;
  }
  drawHeader();
  const found = match(url.pathname);
  if (!found) return navigate(session.workspaces.length ? '/connections' : '/workspaces', { replace: true });
  // The OAuth callback names the workspace it finished in: switch to it.
  const fromCallback = url.searchParams.get('workspace');
  if (fromCallback && session.workspaces.some((w) => w.id === fromCallback)) {
    selectWorkspace(fromCallback);
    drawHeader();
  }
  if (found.needsWorkspace && !currentWorkspace()) return navigate('/workspaces', { replace: true });
  await show(main, found.screen, found.params);
  void checkReconnectPopup();
  void refreshUnreadCount();
  void refreshRiskCount();
}

/** Counts screen loads, so only the latest one clears the busy mark. */
let loads = 0;

async function show(main, screen, params) {
  // Busy while the screen loads: assistive tech waits for it, and so do the browser tests.
  const load = ++loads;
  main.setAttribute('aria-busy', 'true');
  try {
    await screen(main, params);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      // The session ended (expired, signed out elsewhere): back to sign-in, then to this screen.
      signedOut();
      toast(err.message, 'error');
      await route();
      return;
    }
    render(main, h('div', { class: 'panel error-panel', role: 'alert' }, h('h1', null, 'Something went wrong'), h('p', null, errorText(err))));
  } finally {
    if (load === loads) main.removeAttribute('aria-busy');
  }
  main.focus({ preventScroll: true });
}

function drawHeader() {
  const header = document.getElementById('app-header');
  header.hidden = !session.user;
  if (!session.user) return;
  const here = location.pathname;
  const switcher = h(
    'select',
    {
      id: 'workspace-switcher',
      'aria-label': 'Workspace',
      onchange: (e) => {
        selectWorkspace(e.target.value);
        void route();
      },
    },
    session.workspaces.map((w) => h('option', { value: w.id, selected: w.id === session.workspaceId }, w.name)),
  );
  render(
    header,
    h('a', { class: 'brand', href: '/connections' }, 'Perennial'),
    session.workspaces.length ? switcher : null,
    h(
      'nav',
      { 'aria-label': 'Main' },
      NAV.map(([path, label, also = []]) =>
        h('a', { href: path, 'aria-current': [path, ...also].some((p) => here.startsWith(p)) ? 'page' : null }, label, path === '/at-risk' ? [' ', riskBadge()] : null)),
    ),
    h('div', { class: 'header-end' },
      h('a', { href: '/notifications', class: 'bell', 'aria-current': here === '/notifications' ? 'page' : null }, 'Notifications ', unreadBadge()),
      h('a', { class: 'who', href: '/settings/account', 'aria-current': here === '/settings/account' ? 'page' : null, title: 'Your settings and API tokens' }, session.user.name || session.user.email),
      h('button', { type: 'button', class: 'link-button', onclick: signOut }, 'Sign out'),
    ),
  );
}

async function signOut() {
  try {
    await post('/api/auth/signout');
  } catch (err) {
    toast(errorText(err), 'error');
  }
  signedOut();
  navigate('/signin');
}

/** Same-origin links move inside the app without a page load. */
document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
  if (!a || a.target || a.hasAttribute('download') || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/docs')) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', () => void route());
window.addEventListener('perennial:signed-in', () => {
  const target = new URL(location.href);
  navigate(target.pathname === '/signin' || target.pathname === '/' ? '/connections' : target.pathname + target.search, { replace: true });
  void showSandboxBanner();
});

onSandboxTime((iso) => {
  followServerTime(iso);
  updateSandboxTime(iso);
});

setRouter(route);

async function boot() {
  try {
    await loadSession();
  } catch (err) {
    render(document.getElementById('main'), h('p', { role: 'alert' }, errorText(err)));
    return;
  }
  if (session.user) void showSandboxBanner();
  await route();
}

void boot();
