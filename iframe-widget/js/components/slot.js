// The integration slot (L1): the administrator's page for the open chat (its id, the CRM
// contact, the case and the phone in the URL), framed beside the conversation. It can be
// hidden and widened. The page's policy lets it frame that one origin only.

import { h, mount } from '../dom.js';
import { panel, run } from '../panel.js';
import { t } from '../i18n.js';
import * as op from '../operations.js';
import { WorkplaceElement } from './base.js';

class IntegrationSlot extends WorkplaceElement {
  static watches = ['open', 'detail'];

  changed({ what }) {
    const chat = panel.workplace.detail;
    // The URL depends on the chat's links; fetch it when the chat or its links change.
    const key = chat ? `${chat.id}|${chat.contactId ?? ''}|${chat.caseId ?? ''}` : null;
    if (key === this.key && what !== 'all') return;
    this.key = key;
    this.load(chat);
  }

  async load(chat) {
    if (!chat) {
      this.hidden = true;
      mount(this);
      return;
    }
    const found = await run(() => panel.api.request(op.INTEGRATION_SLOT, { chatId: chat.id }));
    if (chat.id !== panel.workplace.openId) return;
    const slot = found?.integrationSlot;
    this.hidden = !slot;
    if (!slot) {
      mount(this);
      return;
    }
    const frame = this.querySelector('iframe');
    if (frame && frame.src === slot.url) return;
    const app = document.querySelector('op-app');
    mount(
      this,
      h(
        'div',
        { class: 'slot-bar' },
        h('span', {}, t('slot.title')),
        h('button', {
          type: 'button',
          class: 'link',
          'aria-pressed': String(app.classList.contains('slot-wide')),
          onclick: (event) => {
            const wide = app.classList.toggle('slot-wide');
            event.target.setAttribute('aria-pressed', String(wide));
            event.target.textContent = wide ? t('slot.narrow') : t('slot.widen');
          },
        }, app.classList.contains('slot-wide') ? t('slot.narrow') : t('slot.widen')),
        h('button', { type: 'button', class: 'link', onclick: () => app.classList.toggle('slot-hidden') }, t('slot.toggle')),
      ),
      h('iframe', {
        src: slot.url,
        title: t('slot.title'),
        // The administrator's page runs as itself, but may not take the panel's window over.
        sandbox: 'allow-scripts allow-same-origin allow-forms allow-popups',
        referrerpolicy: 'no-referrer',
      }),
    );
  }
}

customElements.define('op-slot', IntegrationSlot);
