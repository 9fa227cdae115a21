// History (J1; 000, 002 §7): the chats the operator may see (their own; a supervisor's queues;
// everything for managers and up), newest first, filtered as `chats(filter)` allows, twenty at a
// time. A chat opens in the conversation (read-only once closed), where "New message" writes to
// its customer again.

import { h, mount, field, select } from '../dom.js';
import { panel, run, supervises } from '../panel.js';
import { t } from '../i18n.js';
import { midnight } from '../clock.js';
import * as op from '../operations.js';
import { cardHead, topicOf } from './card.js';

const PAGE = 20;

class HistoryView extends HTMLElement {
  connectedCallback() {
    // The lists re-render around it: it is built once and keeps its filter and pages.
    if (this.built) return;
    this.built = true;
    this.text = h('input', { type: 'search', name: 'text', autocomplete: 'off' });
    this.phone = h('input', { type: 'tel', name: 'phone', autocomplete: 'off' });
    this.from = h('input', { type: 'date', name: 'createdFrom' });
    this.to = h('input', { type: 'date', name: 'createdTo' });
    this.rating = select({ name: 'rating' }, [{ value: '', label: t('history.any') }, ...[1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: '★'.repeat(n) }))], '');
    this.topic = select({ name: 'topic' }, [{ value: '', label: t('history.any') }], '');
    this.operator = select({ name: 'operatorId' }, [{ value: '', label: t('history.any') }], '');
    this.list = h('ul', { class: 'cards history-list', 'aria-live': 'polite' });
    this.more = h('button', { type: 'button', class: 'more', hidden: true, onclick: () => this.#load(this.after) }, t('history.more'));
    const forSupervisor = supervises(panel.workplace.me?.role);
    mount(
      this,
      h(
        'form',
        { class: 'history-filters', role: 'search', onsubmit: (e) => (e.preventDefault(), this.search()) },
        field(t('history.text'), this.text),
        h(
          'details',
          { class: 'more-filters' },
          h('summary', {}, t('history.filters')),
          field(t('history.phone'), this.phone),
          field(t('history.from'), this.from),
          field(t('history.to'), this.to),
          field(t('history.topic'), this.topic),
          forSupervisor ? field(t('history.operator'), this.operator) : null,
          field(t('history.rating'), this.rating),
        ),
        h('button', { type: 'submit', class: 'primary' }, t('history.search')),
      ),
      this.list,
      this.more,
    );
    this.#choices(forSupervisor);
    this.search();
  }

  /** Fills the topic and operator lists. */
  async #choices(forSupervisor) {
    const dictionaries = await run(() => panel.workplace.loadDictionaries());
    for (const topic of dictionaries?.topics ?? []) {
      this.topic.append(h('option', { value: `topic:${topic.id}` }, topic.name));
      for (const sub of topic.subtopics) this.topic.append(h('option', { value: `subtopic:${sub.id}` }, `${topic.name} › ${sub.name}`));
    }
    if (!forSupervisor) return;
    const found = await run(() => panel.api.request(op.TRANSFER_TARGETS, { onlyAvailable: false, search: null }));
    for (const o of found?.operators ?? []) {
      this.operator.append(h('option', { value: o.id }, [o.firstName, o.lastName].filter(Boolean).join(' ')));
    }
  }

  /** The filter as the form has it; empty fields are left out. */
  filter() {
    const [kind, id] = this.topic.value.split(':');
    const filter = {
      text: this.text.value.trim() || null,
      phone: this.phone.value.trim() || null,
      createdFrom: this.from.value ? midnight(this.from.value).toISOString() : null,
      createdTo: this.to.value ? midnight(this.to.value, 1).toISOString() : null,
      rating: this.rating.value ? Number(this.rating.value) : null,
      topicId: kind === 'topic' ? id : null,
      subtopicId: kind === 'subtopic' ? id : null,
      operatorId: this.operator.value || null,
    };
    return Object.fromEntries(Object.entries(filter).filter(([, value]) => value != null));
  }

  /** The first page for the form's filter. */
  search() {
    mount(this.list);
    return this.#load(null);
  }

  async #load(after) {
    const data = await run(() => panel.api.request(op.HISTORY, { filter: this.filter(), first: PAGE, after }));
    if (!data) return;
    const { edges, pageInfo } = data.chats;
    if (!after && edges.length === 0) mount(this.list, h('li', { class: 'empty' }, t('history.none')));
    this.list.append(...edges.map(({ node }) => h('li', {}, this.#card(node))));
    this.after = pageInfo.endCursor;
    this.more.hidden = !pageInfo.hasNextPage;
  }

  #card(chat) {
    return h(
      'article',
      { class: 'card history-card', dataset: { chatId: chat.id, status: chat.status }, 'aria-label': `${chat.title}, ${chat.customer.displayName}` },
      h(
        'button',
        { type: 'button', class: 'card-main', onclick: () => run(() => panel.workplace.open(chat.id)) },
        cardHead(chat),
        h('span', { class: 'customer' }, chat.customer.displayName),
        topicOf(chat),
        chat.lastMessage ? h('span', { class: 'preview' }, chat.lastMessage) : null,
        h(
          'span',
          { class: 'card-foot' },
          chat.operator ? h('span', { class: 'operator' }, chat.operator.firstName) : null,
          chat.rating ? h('span', { class: 'rating', 'aria-label': t('history.rated', { score: chat.rating }) }, '★'.repeat(chat.rating)) : null,
          h('span', { class: 'status-text' }, t(`chatStatus.${chat.status}`)),
        ),
      ),
    );
  }
}

customElements.define('op-history', HistoryView);
