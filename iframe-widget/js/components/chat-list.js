// The operator's lists (D2): Active (invitations first), Closed (the last 10), Unassigned (the
// queues' waiting chats, then those their bot is talking in, which may be taken over). Each
// card shows the chat's title, the customer (phone or "Client #N"), its topic, the last
// message, when it began, how long the customer has waited, and its SLA colour as the card's
// border (F). An invitation carries Accept, Open and Decline and counts down to its deadline
// (C5).

import { h, mount } from '../dom.js';
import { panel, run, supervises } from '../panel.js';
import { t } from '../i18n.js';
import * as op from '../operations.js';
import { cardHead, topicOf } from './card.js';
import { WorkplaceElement } from './base.js';
import { openAssignDialog } from './dialogs.js';
import './history.js';

const TABS = ['active', 'closed', 'unassigned', 'history'];

class ChatList extends WorkplaceElement {
  static watches = ['lists', 'open', 'me'];

  constructor() {
    super();
    this.tab = 'active';
    // Unassigned: the head of the queue first, as routing offers them (the operator may flip it).
    this.newestFirst = false;
    // An invitation is answered against a clock (RONA): show it wherever the operator was.
    this.onInvited = () => {
      this.tab = 'active';
      this.render();
    };
  }

  connectedCallback() {
    super.connectedCallback();
    panel.workplace.addEventListener('invited', this.onInvited);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    panel.workplace.removeEventListener('invited', this.onInvited);
  }

  render() {
    const workplace = panel.workplace;
    const chats = {
      active: workplace.activeChats(),
      closed: workplace.closedChats(),
      unassigned: [...workplace.unassignedChats({ newestFirst: this.newestFirst }), ...workplace.botChats()],
      history: [],
    };
    const focused = this.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    mount(
      this,
      h(
        'div',
        { class: 'tabs', role: 'tablist', 'aria-label': t('lists.label') },
        TABS.map((tab) =>
          h(
            'button',
            {
              type: 'button',
              role: 'tab',
              id: `tab-${tab}`,
              'aria-selected': String(tab === this.tab),
              'aria-controls': 'chat-list',
              dataset: { key: `tab-${tab}` },
              onclick: () => {
                this.tab = tab;
                this.render();
              },
            },
            t(`lists.${tab}`),
            tab === 'closed' || tab === 'history' ? null : h('span', { class: 'count' }, String(chats[tab].length)),
          ),
        ),
      ),
      this.tab === 'unassigned'
        ? h(
            'div',
            { class: 'list-tools' },
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                'aria-pressed': String(this.newestFirst),
                dataset: { key: 'order' },
                onclick: () => {
                  this.newestFirst = !this.newestFirst;
                  this.render();
                },
              },
              t(this.newestFirst ? 'lists.newestFirst' : 'lists.oldestFirst'),
            ),
          )
        : null,
      this.tab === 'history'
        ? this.#history()
        : h(
            'ul',
            { id: 'chat-list', class: 'cards', role: 'tabpanel', 'aria-labelledby': `tab-${this.tab}` },
            chats[this.tab].length
              ? chats[this.tab].map((chat) => h('li', {}, this.#card(chat)))
              : h('li', { class: 'empty' }, t(`lists.empty.${this.tab}`)),
          ),
    );
    if (focused) this.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }

  /** The history keeps its filter and pages while the lists change around it. */
  #history() {
    this.historyView ??= h('op-history', { id: 'chat-list', role: 'tabpanel', 'aria-labelledby': 'tab-history' });
    return this.historyView;
  }

  #card(chat) {
    const workplace = panel.workplace;
    const invitation = workplace.invitation(chat);
    const unread = workplace.unread.get(chat.id) ?? 0;
    const author = chat.lastMessageBy ? `${t(`author.${chat.lastMessageBy}`)}: ` : '';
    return h(
      'article',
      {
        class: `card light-${chat.trafficLight.toLowerCase()}${invitation ? ' invitation' : ''}`,
        'aria-current': chat.id === workplace.openId ? 'true' : null,
        'aria-label': `${chat.title}, ${chat.customer.displayName}`,
        dataset: { chatId: chat.id, light: chat.trafficLight, status: chat.status },
      },
      h(
        'button',
        { type: 'button', class: 'card-main', dataset: { key: `open-${chat.id}` }, onclick: () => run(() => workplace.open(chat.id)) },
        cardHead(chat),
        h('span', { class: 'customer' }, chat.customer.displayName),
        topicOf(chat),
        chat.lastMessage ? h('span', { class: 'preview' }, author, chat.lastMessage) : null,
        h(
          'span',
          { class: 'card-foot' },
          chat.waitingSince && chat.status !== 'COMPLETED'
            ? h('span', { class: 'waiting', title: t('card.waiting') }, '⏱ ', h('span', { dataset: { since: chat.waitingSince } }))
            : null,
          // The conversation's length since it began with the bot (000), while the bot has it.
          chat.status === 'BOT'
            ? h('span', { class: 'dialog-length', title: t('card.dialogLength') }, '💬 ', h('span', { dataset: { since: chat.createdAt } }))
            : null,
          // Time since the chat became the operator's (001, 004), while it is open.
          chat.acceptedAt && chat.status !== 'COMPLETED'
            ? h('span', { class: 'assigned', title: t('card.assignedFor') }, '👤 ', h('span', { dataset: { since: chat.acceptedAt } }))
            : null,
          chat.muted ? h('span', { class: 'muted-badge' }, t('card.muted')) : null,
          unread ? h('span', { class: 'unread', 'aria-label': t('card.unread', { count: unread }) }, String(unread)) : null,
          h('span', { class: 'status-text' }, t(`chatStatus.${chat.status}`)),
        ),
      ),
      invitation ? this.#invitation(chat, invitation) : null,
      this.tab === 'unassigned' ? this.#unassignedActions(chat) : null,
    );
  }

  /** "Take" a waiting chat, or "Take over" one the bot has; supervisors and above may also
   * assign a waiting chat to a colleague. */
  #unassignedActions(chat) {
    const workplace = panel.workplace;
    const take =
      chat.status === 'QUEUED'
        ? [t('card.take'), () => workplace.act(op.ASSIGN, { chatId: chat.id, operatorId: workplace.me.id })]
        : [t('action.takeOver'), () => workplace.chatAction('takeOverChat', chat.id)];
    return h(
      'div',
      { class: 'card-actions' },
      chat.status === 'QUEUED' && supervises(workplace.me.role)
        ? h('button', { type: 'button', onclick: () => openAssignDialog(chat) }, t('card.assign'))
        : null,
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: async () => {
            if (await run(take[1])) run(() => workplace.open(chat.id));
          },
        },
        take[0],
      ),
    );
  }

  #invitation(chat, kind) {
    const workplace = panel.workplace;
    if (kind === 'CONFERENCE') {
      return h(
        'div',
        { class: 'card-actions' },
        h('span', { class: 'invited' }, t('card.conferenceInvitation')),
        h('button', { type: 'button', class: 'primary', onclick: () => run(() => workplace.chatAction('acceptConference', chat.id)) }, t('card.join')),
        h('button', { type: 'button', onclick: () => run(() => workplace.chatAction('endConference', chat.id)) }, t('card.decline')),
      );
    }
    return [
      this.#preview(chat),
      h(
        'div',
        { class: 'card-actions' },
        chat.invitationExpiresAt
          ? h('span', { class: 'countdown', title: t('card.expiresIn') }, h('span', { dataset: { until: chat.invitationExpiresAt } }))
          : null,
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            onclick: async () => {
              if (await run(() => workplace.chatAction('acceptChat', chat.id))) run(() => workplace.open(chat.id));
            },
          },
          t('card.accept'),
        ),
        h('button', { type: 'button', onclick: () => panel.host.openRecord('chat', chat.id, chat.crmUrl), disabled: !chat.crmUrl && !panel.host.origin }, t('card.open')),
        h('button', { type: 'button', class: 'danger', onclick: () => run(() => workplace.chatAction('declineChat', chat.id)) }, t('card.decline')),
      ),
    ];
  }

  /** What an invitation shows before it is accepted (004): the queue and the conversation's
   * last messages, read once per invitation. */
  #preview(chat) {
    // Read again when someone writes while the invitation waits (the last message changes).
    const key = JSON.stringify([chat.id, chat.lastMessageAt, chat.lastMessage]);
    this.previews ??= new Map();
    if (!this.previews.has(key)) {
      this.previews.set(key, null);
      run(() => panel.api.request(op.INVITATION_PREVIEW, { id: chat.id })).then((data) => {
        this.previews.set(key, data?.chat?.recentMessages ?? []);
        this.render();
      });
    }
    const messages = this.previews.get(key) ?? [];
    return h(
      'div',
      { class: 'invitation-preview' },
      chat.queue ? h('span', { class: 'queue' }, t('card.queue', { name: chat.queue.name })) : null,
      messages.length
        ? h(
            'ol',
            { class: 'recent', 'aria-label': t('card.recent') },
            messages.map((m) => h('li', {}, h('span', { class: 'who' }, `${t(`author.${m.authorKind}`)}: `), m.text ?? '')),
          )
        : null,
    );
  }
}

customElements.define('op-chat-list', ChatList);
