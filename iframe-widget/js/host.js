// The `postMessage` contract with the CRM that frames the panel (L2); README "Embedding".
//
// Panel → CRM: `{ source: "omnipanel", type: "ready" }`,
//   `{ source: "omnipanel", type: "open-record", record: { kind, id, url } }` (kind: chat,
//   contact, account, activity, case), `{ source: "omnipanel", type: "status", status }`.
// CRM → panel: `{ source: "crm", type: "record-opened", record: { kind, id, title } }`,
//   `{ source: "crm", type: "locale", locale }`.
//
// Both sides check origins: the panel accepts messages only from its parent window on one of
// the organization's allowed CRM origins, and posts only to that origin, never to "*".

const KINDS = new Set(['chat', 'contact', 'account', 'activity', 'case']);

export class Host extends EventTarget {
  /** `allowed`: the organization's CRM origins (the page's `frame-ancestors`). */
  constructor(allowed) {
    super();
    this.allowed = new Set(allowed);
    this.framed = window.parent !== window;
    this.origin = this.framed ? this.#parentOrigin() : null;
    window.addEventListener('message', (event) => this.#receive(event));
  }

  /** Tells the CRM the panel is up. */
  ready() {
    this.#post({ type: 'ready' });
  }

  /** Asks the CRM to open a record; outside a CRM, opens its URL in a new tab. */
  openRecord(kind, id, url) {
    if (this.origin) {
      this.#post({ type: 'open-record', record: { kind, id, url: url ?? null } });
    } else if (url) {
      window.open(url, '_blank', 'noopener');
    }
  }

  /** Tells the CRM the operator's status (a CTI panel shows it). */
  status(status) {
    this.#post({ type: 'status', status });
  }

  /** The CRM's origin, when the browser names the parent's and the organization allows it. */
  #parentOrigin() {
    const named = location.ancestorOrigins?.[0] ?? originOf(document.referrer);
    return named && this.allowed.has(named) ? named : null;
  }

  #post(message) {
    if (this.origin) window.parent.postMessage({ source: 'omnipanel', ...message }, this.origin);
  }

  #receive(event) {
    if (!this.framed || event.source !== window.parent || !this.allowed.has(event.origin)) return;
    const data = event.data;
    if (!data || typeof data !== 'object' || data.source !== 'crm') return;
    // The first word from an allowed parent also tells us where to answer.
    this.origin ??= event.origin;
    if (event.origin !== this.origin) return;
    if (data.type === 'record-opened') {
      const record = data.record;
      if (!record || !KINDS.has(record.kind) || typeof record.id !== 'string' || record.id.length > 100) return;
      const title = typeof record.title === 'string' ? record.title.slice(0, 200) : null;
      this.dispatchEvent(new CustomEvent('record', { detail: { kind: record.kind, id: record.id, title } }));
    } else if (data.type === 'locale' && typeof data.locale === 'string') {
      this.dispatchEvent(new CustomEvent('locale', { detail: data.locale }));
    }
  }
}

function originOf(url) {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}
