// Channels (M1, M2, I, X8): where customers write from. An administrator connects Telegram (the
// token is checked by Telegram as the webhook is registered), a web chat (its page's address and
// a snippet to embed it), or a provider behind the generic webhook (its secret shown once, with
// how to sign); sets where a channel's conversations go; and archives it.

import { h, field, select } from '../../dom.js';
import { panel } from '../../panel.js';
import { t } from '../../i18n.js';
import * as op from '../../operations.js';
import { openDialog, openConfirmDialog } from '../dialogs.js';
import { AdminScreen, header, table, rowAction, numberInput, numberOf, copyable, tellAfter, signingRecipe } from './shared.js';

const KINDS = ['WEBCHAT', 'TELEGRAM', 'INFOBIP_WHATSAPP', 'VIBER', 'MESSENGER'];

/** Kinds behind the generic webhook: an outbound URL and the HMAC secret of both directions. */
const GENERIC = new Set(['INFOBIP_WHATSAPP', 'VIBER', 'MESSENGER']);

/** The web chat page of a channel, on this server. */
const webChatPage = (channel) => new URL(`/webchat/${channel.id}`, location.origin).href;

/** What a website embeds to show the web chat. */
const embedSnippet = (channel) =>
  `<iframe src="${webChatPage(channel)}" title="Chat" style="position:fixed;right:16px;bottom:16px;width:360px;height:560px;border:0"></iframe>`;

class AdminChannels extends AdminScreen {
  async load() {
    const [{ channels }, { queues }] = await Promise.all([panel.api.request(op.ADMIN_CHANNELS), panel.api.request(op.ADMIN_QUEUES)]);
    return { channels, queues };
  }

  render({ channels, queues }) {
    this.queues = queues;
    const queueName = (id) => queues.find((q) => q.id === id)?.name ?? '–';
    return [
      header(t('admin.channels'), h('button', { type: 'button', class: 'primary', onclick: () => this.#create() }, t('admin.channels.create'))),
      table(
        t('admin.channels'),
        [
          [t('admin.name'), (c) => c.name],
          [t('admin.channels.kind'), (c) => t(`source.${c.kind}`)],
          [t('admin.channels.queue'), (c) => (c.queueId ? queueName(c.queueId) : t('admin.channels.withBot'))],
          [t('admin.channels.botQueue'), (c) => (c.botQueueId ? queueName(c.botQueueId) : '–')],
          [t('admin.channels.address'), (c) => (c.kind === 'WEBCHAT' ? h('a', { href: webChatPage(c), target: '_blank', rel: 'noopener' }, webChatPage(c)) : (c.gateway ?? ''))],
          [
            '',
            (c) => [
              rowAction(t('admin.edit'), c.name, () => this.#edit(c)),
              ' ',
              rowAction(t('admin.archive'), c.name, () => this.#archive(c)),
            ],
          ],
        ],
        channels,
        t('admin.channels.none'),
      ),
    ];
  }

  /** A queue picker: `none` is what an empty choice means. */
  #queuePicker(name, chosen, none) {
    return select({ name }, [{ value: '', label: none }, ...this.queues.map((q) => ({ value: q.id, label: q.name }))], chosen ?? '');
  }

  #create() {
    const kind = select({ name: 'kind' }, KINDS.map((k) => ({ value: k, label: t(`source.${k}`) })), 'WEBCHAT');
    const name = h('input', { type: 'text', name: 'name', required: true, maxLength: 100, autocomplete: 'off' });
    const queue = this.#queuePicker('queueId', null, t('admin.channels.withBot'));
    const botQueue = this.#queuePicker('botQueueId', null, t('admin.channels.noBotQueue'));
    // In minutes here; the server counts seconds (1 minute to 30 days).
    const autoClose = numberInput('autoCloseAfterSecs', null, { min: 1, max: 30 * 24 * 60 });
    const botToken = h('input', { type: 'password', name: 'botToken', autocomplete: 'off' });
    const apiBaseUrl = h('input', { type: 'url', name: 'apiBaseUrl', placeholder: 'https://api.telegram.org' });
    const outboundUrl = h('input', { type: 'url', name: 'outboundUrl', placeholder: 'https://' });
    const gateway = h('input', { type: 'text', name: 'gateway', maxLength: 100 });
    const telegram = h('div', { class: 'kind-fields' }, field(t('admin.channels.botToken'), botToken), h('p', { class: 'hint' }, t('admin.channels.botTokenHint')), field(t('admin.channels.apiBaseUrl'), apiBaseUrl));
    const generic = h('div', { class: 'kind-fields' }, field(t('admin.channels.outboundUrl'), outboundUrl), field(t('admin.channels.gateway'), gateway));
    const shown = () => {
      telegram.hidden = kind.value !== 'TELEGRAM';
      botToken.required = kind.value === 'TELEGRAM';
      generic.hidden = !GENERIC.has(kind.value);
      outboundUrl.required = GENERIC.has(kind.value);
    };
    kind.addEventListener('change', shown);
    shown();
    openDialog({
      title: t('admin.channels.create'),
      className: 'admin-edit',
      body: [
        field(t('admin.channels.kind'), kind),
        field(t('admin.name'), name),
        telegram,
        generic,
        field(t('admin.channels.queue'), queue),
        field(t('admin.channels.botQueue'), botQueue),
        h('p', { class: 'hint' }, t('admin.channels.queueHint')),
        field(t('admin.channels.autoClose'), autoClose),
      ],
      submitLabel: t('admin.create'),
      submit: async () => {
        const input = {
          kind: kind.value,
          name: name.value.trim(),
          queueId: queue.value || null,
          botQueueId: botQueue.value || null,
          autoCloseAfterSecs: numberOf(autoClose) == null ? null : numberOf(autoClose) * 60,
        };
        if (kind.value === 'TELEGRAM') Object.assign(input, { botToken: botToken.value.trim(), apiBaseUrl: apiBaseUrl.value.trim() || null });
        if (GENERIC.has(kind.value)) Object.assign(input, { outboundUrl: outboundUrl.value.trim(), gateway: gateway.value.trim() || null });
        const { createChannel } = await panel.api.request(op.CREATE_CHANNEL, { input });
        await this.reload();
        this.#created(createChannel);
      },
    });
  }

  /** What to do with a new channel: where its customers write, and what is shown only now. */
  #created({ channel, secret, webhookUrl }) {
    const body =
      channel.kind === 'WEBCHAT'
        ? [
            h('p', {}, t('admin.channels.webChatReady')),
            copyable(t('admin.channels.page'), webChatPage(channel), 'page'),
            copyable(t('admin.channels.embed'), embedSnippet(channel), 'embed'),
          ]
        : channel.kind === 'TELEGRAM'
          ? [h('p', {}, t('admin.channels.telegramReady')), webhookUrl ? copyable(t('admin.channels.webhookUrl'), webhookUrl, 'webhookUrl') : null]
          : [
              h('p', {}, t('admin.channels.genericReady')),
              webhookUrl ? copyable(t('admin.channels.webhookUrl'), webhookUrl, 'webhookUrl') : null,
              copyable(t('admin.channels.secret'), secret, 'secret'),
              h('p', { class: 'hint' }, t('admin.channels.secretOnce')),
              signingRecipe(),
            ];
    tellAfter(t('admin.channels.createdTitle', { name: channel.name }), body, 'channel-created');
  }

  /** A channel's name, sender, where new conversations go, and its auto-close (004). */
  #edit(channel) {
    const name = h('input', { type: 'text', name: 'name', required: true, maxLength: 100, value: channel.name, autocomplete: 'off' });
    const gateway = h('input', { type: 'text', name: 'gateway', maxLength: 200, value: channel.gateway ?? '' });
    const queue = this.#queuePicker('queueId', channel.queueId, t('admin.channels.withBot'));
    const botQueue = this.#queuePicker('botQueueId', channel.botQueueId, t('admin.channels.noBotQueue'));
    const minutes = channel.autoCloseAfterSecs == null ? null : Math.round(channel.autoCloseAfterSecs / 60);
    const autoClose = numberInput('autoCloseAfterSecs', minutes, { min: 1, max: 30 * 24 * 60 });
    openDialog({
      title: t('admin.channels.editTitle', { name: channel.name }),
      className: 'admin-edit',
      body: [
        field(t('admin.name'), name),
        channel.kind === 'WEBCHAT' ? null : field(t('admin.channels.gateway'), gateway),
        field(t('admin.channels.queue'), queue),
        field(t('admin.channels.botQueue'), botQueue),
        h('p', { class: 'hint' }, t('admin.channels.queueHint')),
        field(t('admin.channels.autoClose'), autoClose),
        h('p', { class: 'hint' }, t('admin.channels.autoCloseHint')),
      ],
      submitLabel: t('admin.save'),
      submit: async () => {
        // Only what changed; an emptied choice clears the channel's value.
        const input = { id: channel.id };
        if (name.value.trim() !== channel.name) input.name = name.value.trim();
        if (channel.kind !== 'WEBCHAT' && gateway.value.trim() !== (channel.gateway ?? '')) {
          if (gateway.value.trim()) input.gateway = gateway.value.trim();
          else input.clearGateway = true;
        }
        const changed = (value, before, key, clear) => {
          if (value === before) return;
          if (value == null) input[clear] = true;
          else input[key] = value;
        };
        changed(queue.value || null, channel.queueId ?? null, 'queueId', 'clearQueue');
        changed(botQueue.value || null, channel.botQueueId ?? null, 'botQueueId', 'clearBotQueue');
        changed(numberOf(autoClose), minutes, 'autoCloseAfterSecs', 'clearAutoClose');
        if (input.autoCloseAfterSecs != null) input.autoCloseAfterSecs *= 60;
        if (Object.keys(input).length > 1) await panel.api.request(op.UPDATE_CHANNEL, { input });
        await this.done();
      },
    });
  }

  #archive(channel) {
    openConfirmDialog({
      title: t('admin.archiveTitle', { name: channel.name }),
      text: t(channel.kind === 'TELEGRAM' ? 'admin.channels.archiveTelegram' : 'admin.channels.archiveText'),
      confirmLabel: t('admin.archive'),
      confirm: async () => {
        await panel.api.request(op.ARCHIVE_CHANNEL, { input: { id: channel.id } });
        await this.done(t('admin.archived', { name: channel.name }));
      },
    });
  }
}

customElements.define('op-admin-channels', AdminChannels);
