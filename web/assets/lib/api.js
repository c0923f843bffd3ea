// The fetch wrapper every page uses: JSON in and out, the session cookie sent
// (`credentials: 'same-origin'`), and failures thrown as ApiError with the API's
// `{code, message}` and the HTTP status. A 401 sends the browser to the login page.

/** An API failure: `status` (0 when the server could not be reached), `code`, `message`. */
export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'unknown';
    this.body = body;
  }
}

let unauthorized = () => {};

/** What to do on a 401 (set once by the shell). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

const BINARY = (body) =>
  (typeof Blob !== 'undefined' && body instanceof Blob) ||
  body instanceof ArrayBuffer ||
  ArrayBuffer.isView(body);

/**
 * Calls the API. `options`: `method`, `body` (JSON unless it is a Blob or bytes),
 * `contentType` for bytes, `signal`, `full` (answer `{status, data, headers}`),
 * `quiet401` (do not go to the login page: the session routes use it).
 */
export async function api(path, options = {}) {
  const { method = options.body === undefined ? 'GET' : 'POST', body, signal } = options;
  const headers = { Accept: 'application/json' };
  let payload;
  if (body !== undefined) {
    if (BINARY(body)) {
      payload = body;
      headers['Content-Type'] = options.contentType || 'application/octet-stream';
    } else {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, signal, credentials: 'same-origin' });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', error?.message || 'the server cannot be reached');
  }
  const data = await readBody(response);
  if (!response.ok) {
    const code = data && typeof data === 'object' ? data.code : null;
    const message =
      data && typeof data === 'object' ? data.message : typeof data === 'string' ? data.trim() : '';
    const error = new ApiError(response.status, code || `http_${response.status}`, message || response.statusText, data);
    if (response.status === 401 && !options.quiet401) unauthorized(error);
    throw error;
  }
  return options.full ? { status: response.status, data, headers: response.headers } : data;
}

async function readBody(response) {
  if (response.status === 204 || response.status === 304) return null;
  const type = response.headers.get('content-type') || '';
  const text = await response.text();
  if (!text) return null;
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Path segment escaping for codes and names. */
export const seg = (value) => encodeURIComponent(String(value));
