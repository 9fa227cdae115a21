// The status switcher (B1, B2): the status and the time in it, the next status to take when the
// current chats are done, "Unblock" after a missed invitation, after-chat work and the load.

import { h, mount, select } from '../dom.js';
import { panel, run } from '../panel.js';
import { t } from '../i18n.js';
import { serverNow } from '../clock.js';
import { WorkplaceElement } from './base.js';

/** What an operator may choose; AWAY and BLOCKED are the server's. */
const CHOOSABLE = ['READY', 'ONLINE', 'BREAK', 'LEAVING', 'UNAVAILABLE', 'OFFLINE'];

/** `status` or `UNAVAILABLE:<custom status id>`. */
function encode(status, customStatusId) {
  return customStatusId ? `UNAVAILABLE:${customStatusId}` : status;
}

function decode(value) {
  const [status, customStatusId = null] = value.split(':');
  return [status, customStatusId];
}

class StatusSwitcher extends WorkplaceElement {
  static watches = ['me'];

  render() {
    const workplace = panel.workplace;
    const me = workplace.me;
    if (!me) return;
    const choosable = [
      ...CHOOSABLE.map((s) => ({ value: s, label: t(`status.${s}`) })),
      ...workplace.customStatuses.map((c) => ({ value: encode('UNAVAILABLE', c.id), label: c.name })),
    ];
    const serverOnly = me.status === 'AWAY' || me.status === 'BLOCKED';
    const options = serverOnly ? [{ value: me.status, label: t(`status.${me.status}`) }, ...choosable] : choosable;
    const next = [{ value: '', label: t('status.noNext') }, ...choosable];
    mount(
      this,
      h('span', { class: `dot status-${me.status.toLowerCase()}`, 'aria-hidden': 'true' }),
      select(
        {
          class: 'status',
          'aria-label': t('status.label'),
          disabled: serverOnly,
          onchange: (e) => run(() => workplace.setStatus(...decode(e.target.value))).then(() => this.render()),
        },
        options,
        encode(me.status, me.customStatusId),
      ),
      h('span', { class: 'since', title: t('status.timeIn'), 'aria-label': t('status.timeIn'), dataset: { since: me.statusSince } }),
      me.status === 'BLOCKED'
        ? h('button', { type: 'button', class: 'primary', onclick: () => run(() => workplace.unblock()) }, t('status.unblock'))
        : null,
      // BLOCKED allows nothing but unblocking: the server refuses a next status then.
      me.status === 'BLOCKED'
        ? null
        : h(
            'label',
            { class: 'next' },
            h('span', {}, t('status.next')),
            select(
              {
                'aria-label': t('status.nextLabel'),
                onchange: (e) => {
                  const value = e.target.value;
                  run(() => (value ? workplace.scheduleStatus(...decode(value)) : workplace.scheduleStatus(null)));
                },
              },
              next,
              me.nextStatus ?? '',
            ),
          ),
      me.afterChatWorkUntil && Date.parse(me.afterChatWorkUntil) > serverNow()
        ? h(
            'span',
            { class: 'wrap-up' },
            t('status.afterChatWork'),
            ' ',
            h('span', { dataset: { until: me.afterChatWorkUntil } }),
            ' ',
            h('button', { type: 'button', class: 'link', onclick: () => run(() => workplace.finishAfterChatWork()) }, t('status.finish')),
          )
        : null,
      h('span', { class: 'load', title: t('status.load') }, `${me.activeChatCount}/${me.maxChats}`),
    );
  }
}

customElements.define('op-status', StatusSwitcher);
