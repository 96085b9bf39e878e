/**
 * Moving between screens without a page load. main.js registers the router; screens call
 * `navigate` (kept apart from main.js so screens do not import the entry module).
 */
let router = async () => {};

export function setRouter(fn) {
  router = fn;
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  return router();
}

/** Re-draws the current screen (after a change of workspace, a sign-in). */
export function refresh() {
  return router();
}
