// The service's HTTP API (same origin). Every call resolves to the parsed JSON body or throws an
// ApiError carrying the service's `{"error": {kind, message, code, request_id, status, field,
// retryable}}`.

const TOKEN_KEY = 's3c.token';

export class ApiError extends Error {
  constructor(detail, httpStatus) {
    super(detail.message || `HTTP ${httpStatus}`);
    this.name = 'ApiError';
    this.detail = detail;
    this.httpStatus = httpStatus;
  }
}

/** The bearer token of a service started with --token (kept for this tab only). */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage unavailable: the token lasts until the page reloads */
  }
}

async function request(method, path, body, { signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(
      { kind: 'network', message: `The service did not answer: ${err.message}`, retryable: true },
      0,
    );
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const detail =
      data && data.error && typeof data.error === 'object'
        ? data.error
        : {
            kind: 'server',
            message: `HTTP ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 300)}` : ''}`,
            status: response.status,
          };
    throw new ApiError(detail, response.status);
  }
  if (data === null && text) {
    throw new ApiError({ kind: 'server', message: 'The service answered with something that is not JSON.' }, response.status);
  }
  return data;
}

export const api = {
  manifest: () => request('GET', '/v1/manifest'),
  connections: () => request('GET', '/v1/connections'),
  createConnection: (name, connection) => request('POST', '/v1/connections', { name, connection }),
  deleteConnection: (id) => request('DELETE', `/v1/connections/${encodeURIComponent(id)}`),
  run: (module, connectionId, input) =>
    request('POST', `/v1/modules/${encodeURIComponent(module)}/run`, {
      ...(connectionId ? { connection_id: connectionId } : {}),
      input,
    }),
  options: (provider, connectionId, input, opts) =>
    request(
      'POST',
      `/v1/options/${encodeURIComponent(provider)}`,
      { ...(connectionId ? { connection_id: connectionId } : {}), input },
      opts,
    ),
};
