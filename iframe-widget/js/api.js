// GraphQL over HTTP and file uploads, with the server's errors as `ApiError`s (code and field).

/** A refusal from the server: `code` is `extensions.code`, `field` names the bad input. */
export class ApiError extends Error {
  constructor(message, code, field) {
    super(message);
    this.code = code;
    this.field = field ?? null;
  }
}

export class Api {
  /** `onSignedOut` runs when the server no longer knows the session. */
  constructor({ onSignedOut } = {}) {
    this.token = null;
    this.onSignedOut = onSignedOut;
  }

  /** Runs one operation; resolves to its `data`, rejects with the first error. */
  async request(query, variables = {}) {
    const response = await this.#fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json().catch(() => null);
    if (!body) throw new ApiError(`HTTP ${response.status}`, 'NETWORK');
    const error = body.errors?.[0];
    if (error) throw this.#refusal(error);
    return body.data;
  }

  /** Uploads a file for a chat (`POST /files`): resolves to the attachment with its link. */
  async upload(chatId, file) {
    const params = new URLSearchParams({ chatId, name: file.name });
    const response = await this.#fetch(`/files?${params}`, {
      method: 'POST',
      headers: { 'content-type': file.type || 'application/octet-stream' },
      body: file,
    });
    const body = await response.json().catch(() => null);
    const error = body?.errors?.[0];
    if (error) throw this.#refusal(error);
    if (!response.ok || !body) throw new ApiError(`HTTP ${response.status}`, 'NETWORK');
    return body;
  }

  /** Fetches a file the session may read (a report's CSV); resolves to its `Blob`. */
  async download(url) {
    const response = await this.#fetch(url, { method: 'GET' });
    if (response.ok) return response.blob();
    const body = await response.json().catch(() => null);
    if (body?.error) throw this.#refusal({ message: body.error.message, extensions: body.error });
    throw new ApiError(`HTTP ${response.status}`, 'NETWORK');
  }

  async #fetch(url, init) {
    const headers = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    try {
      return await fetch(url, { ...init, headers });
    } catch (cause) {
      throw new ApiError(cause.message, 'NETWORK');
    }
  }

  #refusal(error) {
    const code = error.extensions?.code ?? 'INTERNAL';
    if (code === 'UNAUTHENTICATED' && this.token) this.onSignedOut?.();
    return new ApiError(error.message, code, error.extensions?.field);
  }
}
