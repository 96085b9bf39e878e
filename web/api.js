/**
 * The API client of the web app: JSON in and out, the session cookie (same origin), and the
 * CSRF header on every write (the token comes from sign-in or GET /api/session).
 * Failures throw ApiError with the API's stable code and message.
 */

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {unknown} [details] */
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    /** The API's `details` (csv_invalid's errors by row, post_invalid's issues per target). */
    this.details = details ?? null;
  }
}

let csrfToken = null;
/** Listeners told the sandbox time whenever a response carries it (time-travel instances). */
const sandboxTimeListeners = new Set();

export function setCsrfToken(token) {
  csrfToken = token;
}

export function onSandboxTime(listener) {
  sandboxTimeListeners.add(listener);
}

/**
 * @param {string} method
 * @param {string} path  under /api
 * @param {unknown} [body]
 */
export function api(method, path, body) {
  return send(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? null : 'application/json');
}

/**
 * Sends a raw body (a CSV file as text/csv); answers like `api`.
 * @param {string} method @param {string} path @param {BodyInit | undefined} body @param {string | null} contentType
 */
export async function send(method, path, body, contentType) {
  const headers = { accept: 'application/json' };
  if (contentType) headers['content-type'] = contentType;
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', 'Perennial cannot be reached. Check your connection and try again.');
  }
  const sandboxTime = res.headers.get('x-perennial-sandbox-time');
  if (sandboxTime) for (const listener of sandboxTimeListeners) listener(sandboxTime);
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad_response', `Unexpected answer from the server (${res.status})`);
    }
  }
  if (!res.ok) {
    const error = data && data.error ? data.error : { code: 'internal', message: `Request failed (${res.status})` };
    throw new ApiError(res.status, error.code, error.message, error.details);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

/**
 * Uploads one file as multipart/form-data (field "file"); answers like `api`.
 * @param {string} path
 * @param {Blob & { name?: string }} file
 */
export async function upload(path, file) {
  const form = new FormData();
  form.append('file', file, file.name);
  const headers = { accept: 'application/json' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers, body: form, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', 'The upload did not reach Perennial. Check your connection and try again.');
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const error = data && data.error ? data.error : { code: 'internal', message: `Upload failed (${res.status})` };
    throw new ApiError(res.status, error.code, error.message);
  }
  return data;
}
