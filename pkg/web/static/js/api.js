// The JSON API client: every call carries the bearer token and the as-of date.

const TOKEN_KEY = 'duban.token';

// APIError is an answer other than 2xx, with the API's error code and Chinese message.
export class APIError extends Error {
  constructor(status, code, message, body) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// takeTokenFromURL moves a token given as #token=… into localStorage and out of the address bar.
export function takeTokenFromURL() {
  const m = location.hash.match(/(?:^#|[&?])token=([^&]+)/);
  if (!m) return false;
  setToken(decodeURIComponent(m[1]));
  const rest = location.hash.replace(/^#/, '').split('&').filter((p) => p && !p.startsWith('token=')).join('&');
  history.replaceState(null, '', location.pathname + location.search + (rest.startsWith('/') ? `#${rest}` : '#/board'));
  return true;
}

// token is the stored token, or ''.
export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

// setToken stores (or, with '', forgets) the token.
export function setToken(t) {
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives for this page only
  }
  memoryToken = t;
}

let memoryToken = '';

let asOf = '';

// setAsOf sets the date every read is evaluated as of ('' for the server's default).
export function setAsOf(d) {
  asOf = d || '';
}

// getAsOf is the as-of date the reads use, or '' for the server's default.
export function getAsOf() {
  return asOf;
}

function url(path, params) {
  const u = new URL(`/api/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u;
}

function headers() {
  const t = token() || memoryToken;
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function answer(res) {
  const type = res.headers.get('Content-Type') || '';
  let body = null;
  if (type.includes('json') || res.status >= 400) {
    // Errors are JSON whatever a proxy on the way says they are.
    const text = await res.text().catch(() => '');
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
  }
  if (res.status === 401) {
    window.dispatchEvent(new CustomEvent('duban:unauthorized'));
  }
  if (!res.ok && res.status !== 422) {
    const e = (body && body.error) || {};
    throw new APIError(res.status, e.code || 'http', e.message || `服务器返回 ${res.status}`, body);
  }
  return { status: res.status, body };
}

// get reads a path under /api/v1 as of the chosen date.
export async function get(path, params) {
  const res = await fetch(url(path, { as_of: asOf, ...params }), { headers: headers() });
  return (await answer(res)).body;
}

// post sends JSON to a path under /api/v1.
export async function post(path, data) {
  const res = await fetch(url(path), {
    method: 'POST',
    headers: { ...headers(), 'Content-Type': 'application/json' },
    body: JSON.stringify(data || {}),
  });
  return (await answer(res)).body;
}

// upload sends a multipart form; it answers {status, body} so that a 422 rejection can be shown.
export async function upload(path, form) {
  const res = await fetch(url(path), { method: 'POST', headers: headers(), body: form });
  return answer(res);
}

// download fetches a file with the token and hands it to the browser under a name.
export async function download(path, params, name) {
  const res = await fetch(url(path, params), { headers: headers() });
  if (!res.ok) {
    await answer(res);
    return;
  }
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
