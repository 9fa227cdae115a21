// The open chat (D, E): its header with the actions the operator may take now, the reply
// policy (X4), the conversation (its last page first, earlier pages and a jump to a date on
// request), and the composer.
//
// Messages are drawn as text nodes only. Customer messages are grey with the customer's
// initials, the operator's blue, the bot's and the system's each their own; whispers are
// marked; each operator message shows how far it got (M2) and may be sent again if it failed.

import { h, mount, initials } from '../dom.js';
import { panel, run, accepted } from '../panel.js';
import { t, locale } from '../i18n.js';
import { clockTime, midnight } from '../clock.js';
import * as op from '../operations.js';
import { WorkplaceElement } from './base.js';
import { openCloseDialog, openConferenceDialog, openOutgoingDialog, openTransferDialog } from './dialogs.js';
import './composer.js';

const DELIVERY_MARK = { PENDING: '◷', SENT: '✓', DELIVERED: '✓✓', FAILED: '⚠' };

class Conversation extends WorkplaceElement {
  static watches = ['open', 'detail', 'messages', 'me'];

  changed({ what, id }) {
    const workplace = panel.workplace;
    if (what === 'messages' && id !== workplace.openId) return;
    if (what === 'all' || what === 'open' || !this.querySelector('.messages')) this.render();
    else if (what === 'messages') this.#renderMessages();
    else this.#renderHead();
  }

  render() {
    const workplace = panel.workplace;
    const chat = workplace.detail;
    if (!chat) {
      mount(this, h('p', { class: 'placeholder' }, t('conversation.none')));
      return;
    }
    this.setAttribute('role', 'region');
    this.setAttribute('aria-label', chat.title);
    this.scrolledOnce = false;
    mount(
      this,
      h('header', { class: 'conv-head' }),
      h('div', { class: 'policy', role: 'status' }),
      h('div', { class: 'earlier' }),
      h('ol', { class: 'messages', 'aria-label': t('conversation.messages'), 'aria-live': 'polite', tabindex: '0' }),
      this.#jumpBar(chat),
      h('op-composer'),
    );
    this.#renderHead();
    this.#renderMessages();
    this.#dropFiles();
  }

  #renderHead() {
    const chat = panel.workplace.detail;
    const head = this.querySelector('.conv-head');
    if (!chat || !head) return;
    mount(
      head,
      h('button', { type: 'button', class: 'back link', 'aria-label': t('conversation.back'), onclick: () => panel.workplace.closeView() }, '‹'),
      h(
        'div',
        { class: 'conv-title' },
        h('h2', {}, chat.title),
        h('span', { class: 'customer' }, chat.customer.displayName),
        h('span', { class: `chip light-${chat.trafficLight.toLowerCase()}`, dataset: { light: chat.trafficLight } }, t(`chatStatus.${chat.status}`)),
        this.#timers(chat),
        this.#conference(chat),
      ),
      h('div', { class: 'conv-actions', role: 'toolbar', 'aria-label': t('conversation.actions') }, this.#actions(chat)),
    );
    const policy = this.querySelector('.policy');
    mount(policy, this.#policy(chat));
    this.querySelector('op-composer')?.update();
  }

  /** The owner ends the conference; the wrap-up is offered next (cancel it to go on alone). */
  async #endConference(chat) {
    const ended = await run(() => panel.workplace.chatAction('endConference', chat.id));
    if (ended === undefined) return;
    const now = panel.workplace.chats.get(chat.id) ?? chat;
    if (accepted(now)) openCloseDialog(now);
  }

  /** Who else is in the conference, and where their invitation stands (E2, 004). */
  #conference(chat) {
    const others = chat.participants.filter((p) => p.role === 'CONFERENCE' && p.state !== 'LEFT');
    if (others.length === 0) return null;
    return h(
      'p',
      { class: 'conference-members', 'aria-label': t('conference.members') },
      `${t('conference.members')}: `,
      others.map((p, i) => [i ? ', ' : '', h('span', { dataset: { state: p.state } }, `${p.operator?.firstName ?? '—'} (${t(`participant.${p.state}`)})`)]),
    );
  }

  /** While the chat is open: how long the conversation has run, and since it became the operator's. */
  #timers(chat) {
    if (chat.status === 'COMPLETED') return null;
    return h(
      'span',
      { class: 'timers' },
      h('span', { class: 'dialog-length', title: t('card.dialogLength') }, '💬 ', h('span', { dataset: { since: chat.createdAt } })),
      chat.acceptedAt ? h('span', { class: 'assigned', title: t('card.assignedFor') }, ' 👤 ', h('span', { dataset: { since: chat.acceptedAt } })) : null,
    );
  }

  #actions(chat) {
    const workplace = panel.workplace;
    const me = workplace.me;
    const owner = chat.operator?.id === me.id;
    const mine = chat.participants.find((p) => p.operator?.id === me.id && p.state === 'JOINED');
    const conference = chat.participants.some((p) => p.role === 'CONFERENCE' && p.state !== 'LEFT');
    const button = (label, onclick, cls) => h('button', { type: 'button', class: cls, onclick }, label);
    const act = (name) => () => run(() => workplace.chatAction(name, chat.id));
    return [
      chat.status === 'BOT' ? button(t('action.takeOver'), act('takeOverChat'), 'primary') : null,
      chat.status === 'QUEUED'
        ? button(t('card.take'), () => run(() => workplace.act(op.ASSIGN, { chatId: chat.id, operatorId: me.id })), 'primary')
        : null,
      workplace.invitation(chat) === 'CHAT' ? button(t('card.accept'), act('acceptChat'), 'primary') : null,
      workplace.invitation(chat) === 'CHAT' ? button(t('card.decline'), act('declineChat'), 'danger') : null,
      workplace.invitation(chat) === 'CONFERENCE' ? button(t('card.join'), act('acceptConference'), 'primary') : null,
      owner && accepted(chat) ? button(t('action.transfer'), () => openTransferDialog(chat)) : null,
      owner && accepted(chat) ? button(t('action.conference'), () => openConferenceDialog(chat)) : null,
      (owner && conference) || (mine && mine.role !== 'OWNER')
        ? button(owner ? t('action.endConference') : t('action.leave'), owner ? () => this.#endConference(chat) : act('endConference'))
        : null,
      owner && accepted(chat)
        ? button(chat.muted ? t('action.unmute') : t('action.mute'), () => run(() => workplace.act(op.MUTE, { chatId: chat.id, muted: !chat.muted })))
        : null,
      owner && accepted(chat) ? button(t('action.close'), () => openCloseDialog(chat), 'danger') : null,
      chat.status === 'COMPLETED'
        ? button(t('outgoing.open'), () => openOutgoingDialog({ to: chat.customer.phone ?? chat.customer.email ?? '' }))
        : null,
      chat.crmUrl || panel.host.origin ? button(t('action.openInCrm'), () => panel.host.openRecord('chat', chat.id, chat.crmUrl), 'link') : null,
      button(t('action.details'), () => document.querySelector('op-app')?.classList.toggle('details-open'), 'link details-toggle'),
      this.#widen(),
    ];
  }

  /** The wider view of a long conversation: the lists and the details step aside (and back). */
  #widen() {
    const app = document.querySelector('op-app');
    const wide = Boolean(app?.classList.contains('conversation-wide'));
    return h(
      'button',
      {
        type: 'button',
        class: 'link widen',
        'aria-pressed': String(wide),
        onclick: () => {
          app?.classList.toggle('conversation-wide');
          this.#renderHead();
        },
      },
      wide ? t('action.narrow') : t('action.widen'),
    );
  }

  #policy(chat) {
    if (chat.status === 'COMPLETED') return h('p', {}, t('policy.closed'));
    if (!this.querySelector('op-composer')?.writable()) return null;
    if (chat.requiresTemplate) return h('p', { class: 'warn' }, t('policy.template'));
    if (!chat.canReply) return h('p', { class: 'warn' }, t('policy.cannotReply'));
    if (chat.replyWindowExpiresAt) {
      return h('p', {}, t('policy.windowUntil', { time: clockTime(chat.replyWindowExpiresAt, locale()) }));
    }
    return null;
  }

  #renderMessages() {
    const list = this.querySelector('.messages');
    const chat = panel.workplace.detail;
    if (!list || !chat) return;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    // Only new and changed messages are (re)drawn, so screen readers announce just those.
    const drawn = new Map([...list.children].map((li) => [li.dataset.messageId, li]));
    let previous = null;
    for (const message of panel.workplace.messages(chat.id)) {
      const version = `${message.deliveryState}|${message.text}|${message.attachments.length}`;
      let item = drawn.get(message.id);
      if (!item || item.dataset.version !== version) {
        const fresh = this.#message(chat, message);
        fresh.dataset.version = version;
        item?.replaceWith(fresh);
        item = fresh;
      }
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (item !== expected) list.insertBefore(item, expected);
      previous = item;
    }
    if (atBottom || !this.scrolledOnce) {
      list.scrollTop = list.scrollHeight;
      this.scrolledOnce = true;
    }
    mount(
      this.querySelector('.earlier'),
      panel.workplace.hasEarlier(chat.id)
        ? h('button', { type: 'button', class: 'link', onclick: () => this.#earlier(chat) }, t('conversation.earlier'))
        : null,
    );
  }

  /** The page before the first message shown, the reader kept where they were. */
  async #earlier(chat) {
    const list = this.querySelector('.messages');
    const fromBottom = list.scrollHeight - list.scrollTop;
    await run(() => panel.workplace.loadEarlier(chat.id));
    list.scrollTop = list.scrollHeight - fromBottom;
  }

  /**
   * "Jump to a date" above the text field (001): the days the conversation has messages on;
   * a day chosen loads the conversation from then (never the whole of a long chat at once)
   * and shows its first message.
   */
  #jumpBar(chat) {
    const days = h('ul', { class: 'jump-days', role: 'listbox', 'aria-label': t('conversation.jump'), hidden: true });
    const toggle = h('button', { type: 'button', class: 'link jump-toggle', 'aria-expanded': 'false' }, `📅 ${t('conversation.jump')}`);
    const shown = (open) => {
      days.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
    };
    toggle.onclick = async () => {
      if (!days.hidden) {
        shown(false);
        return;
      }
      const found = await run(() => panel.workplace.messageDays(chat.id));
      if (!found) return;
      const format = new Intl.DateTimeFormat(locale(), { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric' });
      mount(
        days,
        [...found].reverse().map((day) =>
          h('li', {}, h('button', { type: 'button', role: 'option', dataset: { day }, onclick: () => { shown(false); this.#jump(chat, day); } }, format.format(midnight(day)))),
        ),
      );
      shown(true);
    };
    return h('div', { class: 'jump' }, toggle, days);
  }

  async #jump(chat, day) {
    const since = midnight(day);
    const loaded = panel.workplace.messages(chat.id);
    if (!loaded.length || Date.parse(loaded[0].createdAt) > since.getTime()) {
      await run(() => panel.workplace.loadEarlier(chat.id, since.toISOString()));
    }
    const first = panel.workplace.messages(chat.id).find((m) => Date.parse(m.createdAt) >= since.getTime());
    const item = first && this.querySelector(`.messages [data-message-id="${first.id}"]`);
    if (!item) return;
    item.scrollIntoView({ block: 'start' });
    item.classList.add('jumped');
    item.setAttribute('tabindex', '-1');
    item.focus({ preventScroll: true });
  }

  #message(chat, message) {
    const kind = message.authorKind;
    const customerName = chat.customer.name ?? chat.customer.displayName;
    const who = {
      CUSTOMER: customerName,
      OPERATOR: message.author?.firstName ?? t('author.OPERATOR'),
      BOT: t('author.BOT'),
      SYSTEM: null,
    }[kind];
    return h(
      'li',
      {
        class: `msg msg-${kind.toLowerCase()}${message.isWhisper ? ' whisper' : ''}`,
        dataset: { messageId: message.id, authorKind: kind, delivery: message.deliveryState },
      },
      kind === 'CUSTOMER' ? h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(customerName)) : null,
      h(
        'div',
        { class: 'bubble' },
        who ? h('span', { class: 'who' }, who, message.isWhisper ? h('span', { class: 'whisper-mark' }, ` · ${t('message.whisper')}`) : null) : null,
        h('p', { class: 'text' }, message.text),
        message.attachments.map((a) => attachment(a)),
        h(
          'span',
          { class: 'meta' },
          h('time', { datetime: message.createdAt }, clockTime(message.createdAt, locale())),
          kind === 'OPERATOR' && !message.isWhisper
            ? h(
                'span',
                { class: `delivery delivery-${message.deliveryState.toLowerCase()}`, title: message.deliveryError ?? '' },
                ` ${DELIVERY_MARK[message.deliveryState] ?? ''} ${t(`delivery.${message.deliveryState}`)}`,
              )
            : null,
        ),
        message.deliveryState === 'FAILED' && kind === 'OPERATOR'
          ? h(
              'span',
              { class: 'failed' },
              message.deliveryError,
              ' ',
              h('button', { type: 'button', class: 'link', onclick: () => run(() => panel.workplace.retry(message.id)) }, t('message.retry')),
            )
          : null,
      ),
    );
  }

  /** Files dropped anywhere on the conversation go to the composer. */
  #dropFiles() {
    this.ondragover = (event) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      this.classList.add('dropping');
    };
    this.ondragleave = () => this.classList.remove('dropping');
    this.ondrop = (event) => {
      this.classList.remove('dropping');
      const file = event.dataTransfer?.files?.[0];
      if (!file) return;
      event.preventDefault();
      this.querySelector('op-composer')?.attach(file);
    };
  }
}

/** A file on a message: a picture shows, anything else is a download link. */
export function attachment(file) {
  if (file.isImage) {
    return h(
      'a',
      { class: 'attachment image', href: file.url, target: '_blank', rel: 'noopener' },
      h('img', { src: file.url, alt: file.fileName, loading: 'lazy' }),
    );
  }
  return h('a', { class: 'attachment file', href: file.url, download: file.fileName, rel: 'noopener' }, `📎 ${file.fileName}`);
}

customElements.define('op-conversation', Conversation);
