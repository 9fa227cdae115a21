// What developers and other systems connect with: API keys (each shown once, then only its
// prefix; revoked at once) and webhooks (a URL, the events it wants, the signing secret shown
// once, and the delivery log with a retry for what failed).

import { h, mount, field } from '../../dom.js';
import { panel, run } from '../../panel.js';
import { t, locale } from '../../i18n.js';
import { clockTime } from '../../clock.js';
import * as op from '../../operations.js';
import { openDialog, openConfirmDialog } from '../dialogs.js';
import { AdminScreen, header, table, rowAction, checklist, ticked, copyable, tellAfter, signingRecipe } from './shared.js';

const SCOPES = ['CHATBOT', 'CRM', 'ADMIN'];
const EVENTS = ['CHAT_CREATED', 'CHAT_ACCEPTED', 'CHAT_TRANSFERRED', 'CHAT_CLOSED', 'CHAT_RATED'];
const LOG_PAGE = 20;

/** A time, or a dash. */
const when = (at) => (at ? clockTime(at, locale()) : '–');

/** What exists only now (a key, a secret), to copy, with `extra` under it. */
function showOnce({ title, lead, label, value, name, extra = null }) {
  tellAfter(title, [h('p', {}, lead), copyable(label, value, name), h('p', { class: 'hint' }, t('admin.shownOnce')), extra]);
}

class AdminApiKeys extends AdminScreen {
  async load() {
    return (await panel.api.request(op.API_KEYS)).apiKeys;
  }

  render(keys) {
    return [
      header(t('admin.keys'), h('button', { type: 'button', class: 'primary', onclick: () => this.#create() }, t('admin.keys.create'))),
      h('p', { class: 'hint' }, t('admin.keys.hint')),
      table(
        t('admin.keys'),
        [
          [t('admin.name'), (k) => k.name],
          [t('admin.keys.scope'), (k) => t(`admin.keys.scope.${k.scope}`)],
          [t('admin.keys.prefix'), (k) => h('code', {}, `${k.prefix}…`)],
          [t('admin.keys.created'), (k) => when(k.createdAt)],
          [t('admin.keys.lastUsed'), (k) => when(k.lastUsedAt)],
          ['', (k) => (k.revokedAt ? t('admin.keys.revoked', { at: when(k.revokedAt) }) : rowAction(t('admin.keys.revoke'), k.name, () => this.#revoke(k)))],
        ],
        keys,
        t('admin.keys.none'),
      ),
    ];
  }

  #create() {
    const name = h('input', { type: 'text', name: 'name', required: true, maxLength: 100, autocomplete: 'off' });
    const scope = h(
      'select',
      { name: 'scope' },
      SCOPES.map((s) => h('option', { value: s }, `${t(`admin.keys.scope.${s}`)}: ${t(`admin.keys.scopeHint.${s}`)}`)),
    );
    openDialog({
      title: t('admin.keys.create'),
      body: [field(t('admin.name'), name), field(t('admin.keys.scope'), scope)],
      submitLabel: t('admin.create'),
      submit: async () => {
        const { createApiKey } = await panel.api.request(op.CREATE_API_KEY, { input: { name: name.value.trim(), scope: scope.value } });
        await this.reload();
        showOnce({ title: t('admin.keys.createdTitle', { name: createApiKey.apiKey.name }), lead: t('admin.keys.createdLead'), label: t('admin.keys.key'), value: createApiKey.key, name: 'key' });
      },
    });
  }

  #revoke(key) {
    openConfirmDialog({
      title: t('admin.keys.revokeTitle', { name: key.name }),
      text: t('admin.keys.revokeText'),
      confirmLabel: t('admin.keys.revoke'),
      confirm: async () => {
        await panel.api.request(op.REVOKE_API_KEY, { input: { id: key.id } });
        await this.done(t('admin.keys.revokedNow', { name: key.name }));
      },
    });
  }
}

class AdminWebhooks extends AdminScreen {
  async load() {
    return (await panel.api.request(op.WEBHOOKS)).webhooks;
  }

  render(webhooks) {
    this.log = h('section', { class: 'delivery-log', 'aria-live': 'polite' });
    return [
      header(t('admin.webhooks'), h('button', { type: 'button', class: 'primary', onclick: () => this.#edit(null) }, t('admin.webhooks.create'))),
      h('p', { class: 'hint' }, t('admin.webhooks.hint')),
      table(
        t('admin.webhooks'),
        [
          [t('admin.webhooks.url'), (w) => h('span', { class: 'url' }, w.url)],
          [t('admin.webhooks.events'), (w) => w.events.map((e) => t(`admin.webhooks.event.${e}`)).join(', ')],
          [t('admin.webhooks.active'), (w) => (w.active ? t('admin.yes') : t('admin.webhooks.paused'))],
          [
            '',
            (w) => [
              rowAction(t('admin.webhooks.log'), w.url, () => this.#showLog(w)),
              ' ',
              rowAction(t('admin.edit'), w.url, () => this.#edit(w)),
              ' ',
              rowAction(t('admin.archive'), w.url, () => this.#archive(w)),
            ],
          ],
        ],
        webhooks,
        t('admin.webhooks.none'),
      ),
      this.log,
    ];
  }

  /** Creates a webhook (`webhook` null) or changes its URL, events and whether it is active. */
  #edit(webhook) {
    const url = h('input', { type: 'url', name: 'url', required: true, maxLength: 2000, placeholder: 'https://', value: webhook?.url ?? '' });
    const events = checklist('events', t('admin.webhooks.events'), EVENTS.map((e) => ({ id: e, label: t(`admin.webhooks.event.${e}`) })), new Set(webhook?.events ?? EVENTS));
    const active = h('input', { type: 'checkbox', name: 'active', checked: webhook?.active ?? true });
    openDialog({
      title: webhook ? t('admin.webhooks.editTitle') : t('admin.webhooks.create'),
      className: 'admin-edit',
      body: [field(t('admin.webhooks.url'), url), events, webhook ? h('label', { class: 'check' }, active, ` ${t('admin.webhooks.active')}`) : null],
      submitLabel: webhook ? t('admin.save') : t('admin.create'),
      submit: async () => {
        const chosen = EVENTS.filter((e) => ticked(events).has(e));
        if (webhook) {
          await panel.api.request(op.UPDATE_WEBHOOK, { input: { id: webhook.id, url: url.value.trim(), events: chosen, active: active.checked } });
          await this.done();
          return;
        }
        const { createWebhook } = await panel.api.request(op.CREATE_WEBHOOK, { input: { url: url.value.trim(), events: chosen } });
        await this.reload();
        showOnce({
          title: t('admin.webhooks.createdTitle'),
          lead: t('admin.webhooks.createdLead', { url: createWebhook.webhook.url }),
          label: t('admin.webhooks.secret'),
          value: createWebhook.secret,
          name: 'secret',
          extra: signingRecipe({ delivery: true }),
        });
      },
    });
  }

  #archive(webhook) {
    openConfirmDialog({
      title: t('admin.archiveTitle', { name: webhook.url }),
      text: t('admin.webhooks.archiveText'),
      confirmLabel: t('admin.archive'),
      confirm: async () => {
        await panel.api.request(op.ARCHIVE_WEBHOOK, { input: { id: webhook.id } });
        await this.done(t('admin.archived', { name: webhook.url }));
      },
    });
  }

  /** The webhook's deliveries, newest first, twenty at a time; a failed one may be retried. */
  async #showLog(webhook, after = null) {
    const data = await run(() => panel.api.request(op.WEBHOOK_DELIVERIES, { webhookId: webhook.id, first: LOG_PAGE, after }));
    if (!data) return;
    const { nodes, pageInfo } = data.webhookDeliveries;
    const rows = table(
      t('admin.webhooks.logOf', { url: webhook.url }),
      [
        [t('admin.webhooks.when'), (d) => when(d.createdAt)],
        [t('admin.webhooks.event'), (d) => (EVENTS.includes(d.event) ? t(`admin.webhooks.event.${d.event}`) : (d.event ?? ''))],
        [t('admin.webhooks.state'), (d) => h('span', { class: `delivery-state state-${d.state.toLowerCase()}` }, t(`delivery.${d.state}`))],
        [t('admin.webhooks.attempts'), (d) => String(d.attempts)],
        [t('admin.webhooks.response'), (d) => [d.lastStatus ? `HTTP ${d.lastStatus}` : '', d.lastError ? h('span', { class: 'hint' }, ` ${d.lastError}`) : null]],
        ['', (d) => (d.state === 'FAILED' ? rowAction(t('admin.webhooks.retry'), d.id, () => this.#retry(webhook, d)) : d.nextAttemptAt && d.state === 'PENDING' ? t('admin.webhooks.next', { at: when(d.nextAttemptAt) }) : '')],
      ],
      nodes,
      t('admin.webhooks.noDeliveries'),
    );
    const more = pageInfo.hasNextPage
      ? h('button', { type: 'button', class: 'more', onclick: (e) => (e.target.remove(), this.#showLog(webhook, pageInfo.endCursor)) }, t('history.more'))
      : null;
    if (after) {
      this.log.querySelector('tbody')?.append(...rows.querySelectorAll('tbody tr'));
      if (more) this.log.append(more);
      return;
    }
    mount(this.log, h('h3', {}, t('admin.webhooks.logOf', { url: webhook.url })), rows, more);
  }

  async #retry(webhook, delivery) {
    const done = await run(() => panel.api.request(op.RETRY_DELIVERY, { input: { id: delivery.id } }));
    if (!done) return;
    panel.notify(t('admin.webhooks.retried'));
    await this.#showLog(webhook);
  }
}

customElements.define('op-admin-keys', AdminApiKeys);
customElements.define('op-admin-webhooks', AdminWebhooks);
