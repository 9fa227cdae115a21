// The supervisor's floor (O1): queues, operators and the traffic lights, as the server pushes
// them (`liveOverviewEvents`, no polling); waits and times in status count along with the clock.
// From here a supervisor opens a red or waiting chat, assigns a waiting one, or sets an
// operator's status (signing out one who holds chats is confirmed first: they go back to their
// queues).

import { h, mount } from '../dom.js';
import { panel, run, ROLES } from '../panel.js';
import { t } from '../i18n.js';
import { tick } from '../clock.js';
import * as op from '../operations.js';
import { openAssignDialog, openConfirmDialog } from './dialogs.js';

/** What a supervisor may set for an operator (AWAY and BLOCKED are the server's). */
const SETTABLE = ['READY', 'ONLINE', 'BREAK', 'UNAVAILABLE', 'OFFLINE'];

/** The instant `secs` before `at`, for a timer that counts up from it. */
function since(at, secs) {
  return new Date(Date.parse(at) - secs * 1000).toISOString();
}

/** A duration in seconds as the clock shows it, or a dash. */
function timer(at, secs) {
  return secs == null ? h('span', {}, '–') : h('span', { dataset: { since: since(at, secs) } });
}

/** A titled list of chats, each item as `item` makes it, or a line saying there are none. */
function chatList(title, none, chats, item) {
  return [
    h('h3', {}, title),
    chats.length === 0 ? h('p', { class: 'empty' }, none) : h('ul', {}, chats.map((chat) => h('li', { dataset: { chatId: chat.id } }, item(chat)))),
  ];
}

class SupervisorView extends HTMLElement {
  connectedCallback() {
    mount(this, h('p', { class: 'loading', role: 'status' }, t('loading')));
    this.waiting = h('section', { class: 'floor-waiting' });
    // The waiting chats are the workplace's Unassigned, which follows its own events.
    this.onWorkplace = () => this.overview && this.#renderWaiting();
    panel.workplace.addEventListener('change', this.onWorkplace);
    this.unfollow = panel.workplace.live?.subscribe(
      op.LIVE_OVERVIEW_EVENTS,
      () => ({}),
      (payload) => {
        const event = payload.data?.liveOverviewEvents;
        if (event) this.render(event.overview);
        else panel.notify(payload.errors?.[0]?.message ?? t('supervisor.unavailable'));
      },
      (errors) => panel.notify(errors?.[0]?.message ?? t('supervisor.unavailable')),
    );
  }

  disconnectedCallback() {
    this.unfollow?.();
    this.unfollow = null;
    panel.workplace.removeEventListener('change', this.onWorkplace);
  }

  render(overview) {
    this.overview = overview;
    const { at, lights } = overview;
    mount(
      this,
      h('h2', {}, t('supervisor.title')),
      h(
        'ul',
        { class: 'lights', 'aria-label': t('supervisor.lights') },
        ['green', 'yellow', 'red', 'grey'].map((colour) =>
          h('li', { class: `light light-${colour}`, dataset: { light: colour } }, h('span', { class: 'dot' }), `${t(`supervisor.light.${colour}`)}: `, h('strong', {}, lights[colour])),
        ),
      ),
      this.#queues(at, overview.queues),
      this.#operators(at, overview.operators),
      this.#redChats(overview.redChats),
      this.waiting,
    );
    this.#renderWaiting();
    tick(this);
  }

  /** The chats waiting in the supervisor's queues, the head of the queue first. */
  #renderWaiting() {
    mount(
      this.waiting,
      chatList(t('supervisor.waitingChats'), t('supervisor.noneWaiting'), panel.workplace.unassignedChats(), (chat) => [
        `#${chat.number} ${chat.title}`,
        chat.queue ? ` · ${chat.queue.name} ` : ' ',
        h('span', { dataset: { since: chat.queuedAt ?? chat.createdAt } }),
        h('button', { type: 'button', class: 'link', onclick: () => this.#open(chat.id) }, t('supervisor.openChat')),
        h('button', { type: 'button', onclick: () => openAssignDialog(chat) }, t('card.assign')),
      ]),
    );
    tick(this.waiting);
  }

  #queues(at, queues) {
    return h(
      'section',
      { class: 'floor-queues' },
      h('h3', { id: 'floor-queues-title' }, t('supervisor.queues')),
      h(
        'table',
        { 'aria-labelledby': 'floor-queues-title' },
        h('thead', {}, h('tr', {}, ['queue', 'waiting', 'oldestWait', 'expectedWait', 'available', 'inWork'].map((c) => h('th', { scope: 'col' }, t(`supervisor.${c}`))))),
        h(
          'tbody',
          {},
          queues.map((q) =>
            h(
              'tr',
              { dataset: { queueId: q.queue.id } },
              h('th', { scope: 'row' }, q.queue.name),
              h('td', { class: q.waitingCount > 0 ? 'waiting' : null }, q.waitingCount),
              h('td', {}, timer(at, q.oldestWaitSecs)),
              h('td', {}, q.estimatedWaitSecs == null ? '–' : `≈ ${Math.ceil(q.estimatedWaitSecs / 60)} ${t('supervisor.minutes')}`),
              h('td', {}, q.availableOperators),
              h('td', {}, q.activeChats),
            ),
          ),
        ),
      ),
    );
  }

  #operators(at, operators) {
    const myRank = ROLES.indexOf(panel.workplace.me?.role);
    return h(
      'section',
      { class: 'floor-operators' },
      h('h3', { id: 'floor-operators-title' }, t('supervisor.operators')),
      h(
        'table',
        { 'aria-labelledby': 'floor-operators-title' },
        h('thead', {}, h('tr', {}, ['name', 'status', 'timeInStatus', 'load', 'onCall', 'setStatus'].map((c) => h('th', { scope: 'col' }, t(`supervisor.${c}`))))),
        h(
          'tbody',
          {},
          operators.map((o) => {
            const name = [o.operator.firstName, o.operator.lastName].filter(Boolean).join(' ');
            const mayChange = o.operator.id !== panel.workplace.me?.id && ROLES.indexOf(o.operator.role) < myRank;
            return h(
              'tr',
              { dataset: { operatorId: o.operator.id } },
              h('th', { scope: 'row' }, name),
              h('td', { class: 'status' }, h('span', { class: `dot status-${o.status.toLowerCase()}` }), t(`status.${o.status}`)),
              h('td', {}, timer(at, o.timeInStatusSecs)),
              h('td', { class: o.activeChats >= o.maxChats ? 'full' : null }, `${o.activeChats}/${o.maxChats}`),
              h('td', {}, o.onCall ? t('supervisor.yes') : ''),
              h(
                'td',
                {},
                mayChange
                  ? h(
                      'select',
                      {
                        'aria-label': t('supervisor.statusOf', { name }),
                        onchange: (e) => this.#setStatus(o, name, e.target),
                      },
                      h('option', { value: '', selected: true }, '…'),
                      SETTABLE.filter((s) => s !== o.status).map((s) => h('option', { value: s }, t(`status.${s}`))),
                    )
                  : null,
              ),
            );
          }),
        ),
      ),
    );
  }

  #redChats(chats) {
    return h(
      'section',
      { class: 'floor-red' },
      chatList(t('supervisor.redChats'), t('supervisor.noRed'), chats, (chat) => [
        h('span', { class: 'dot light-red' }),
        `#${chat.number} ${chat.title}`,
        chat.operator ? ` · ${chat.operator.firstName}` : '',
        ' ',
        chat.waitingSince ? h('span', { dataset: { since: chat.waitingSince } }) : null,
        h('button', { type: 'button', class: 'link', onclick: () => this.#open(chat.id) }, t('supervisor.openChat')),
      ]),
    );
  }

  /** Sets an operator's status as chosen in `control`; signing out one with chats asks first. */
  #setStatus(row, name, control) {
    const status = control.value;
    if (!status) return;
    const apply = async () => {
      await panel.api.request(op.SET_OPERATOR_STATUS, { input: { operatorId: row.operator.id, status } });
      panel.notify(t('supervisor.statusSet', { status: t(`status.${status}`) }));
    };
    if (status === 'OFFLINE' && row.activeChats > 0) {
      control.value = '';
      openConfirmDialog({
        title: t('supervisor.signOutTitle', { name }),
        text: t('supervisor.signOutText', { name, count: row.activeChats }),
        confirmLabel: t('supervisor.signOut'),
        confirm: apply,
      });
    } else {
      run(apply);
    }
  }

  #open(chatId) {
    this.dispatchEvent(new CustomEvent('open-chat', { bubbles: true, detail: chatId }));
  }
}

customElements.define('op-supervisor', SupervisorView);
