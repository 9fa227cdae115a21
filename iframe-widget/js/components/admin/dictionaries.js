// What operators pick from (D5, D6, D9, B1, X3, E1): quick replies with their parameters
// previewed and the queues whose chats may use them (001), and the named lists (skills, wrap-up reasons, results, topics with subtopics,
// custom statuses, bot schemes): add, rename, archive.

import { h, mount, field } from '../../dom.js';
import { panel } from '../../panel.js';
import { t } from '../../i18n.js';
import * as op from '../../operations.js';
import { openDialog, openConfirmDialog, showRefusal, clearRefusal } from '../dialogs.js';
import { AdminScreen, header, table, rowAction, checklist, ticked } from './shared.js';

/** The parameters a quick reply's text may hold, filled when an operator inserts it (D5). */
const PARAMETERS = ['<customer_name>', '<operator_name>'];

/** The text as an operator would get it, with sample values for its parameters. */
export function preview(text, operatorName) {
  return text.replaceAll('<customer_name>', t('admin.replies.sampleCustomer')).replaceAll('<operator_name>', operatorName);
}

class AdminQuickReplies extends AdminScreen {
  async load() {
    const [{ quickReplies }, { queues }] = await Promise.all([panel.api.request(op.QUICK_REPLY_LIST), panel.api.request(op.ADMIN_QUEUES)]);
    return { replies: quickReplies, queues };
  }

  render({ replies, queues }) {
    this.queues = queues;
    return [
      header(t('admin.replies'), h('button', { type: 'button', class: 'primary', onclick: () => this.#edit(null) }, t('admin.replies.create'))),
      table(
        t('admin.replies'),
        [
          [t('admin.name'), (r) => r.name],
          [t('admin.replies.text'), (r) => h('span', { class: 'reply-text' }, r.text)],
          [t('admin.replies.template'), (r) => (r.approvedTemplate ? t('admin.yes') : '')],
          [t('admin.replies.queues'), (r) => (r.queues.length ? r.queues.map((q) => q.name).join(', ') : t('admin.replies.everyQueue'))],
          [
            '',
            (r) => [rowAction(t('admin.edit'), r.name, () => this.#edit(r)), ' ', rowAction(t('admin.archive'), r.name, () => this.#archive(r))],
          ],
        ],
        replies,
        t('admin.replies.none'),
      ),
    ];
  }

  #edit(reply) {
    const name = h('input', { type: 'text', name: 'name', required: true, maxLength: 30, value: reply?.name ?? '', autocomplete: 'off' });
    const text = h('textarea', { name: 'text', required: true, maxLength: 1000, rows: 4 }, reply?.text ?? '');
    const template = h('input', { type: 'checkbox', name: 'approvedTemplate', checked: reply?.approvedTemplate ?? false });
    const shown = h('p', { class: 'reply-preview', 'aria-live': 'polite' });
    const queues = checklist(
      'queueIds',
      t('admin.replies.queues'),
      this.queues.map((q) => ({ id: q.id, label: q.name })),
      new Set(reply?.queues.map((q) => q.id) ?? []),
    );
    const me = panel.workplace.me?.firstName ?? '';
    const redraw = () => mount(shown, preview(text.value, me));
    text.addEventListener('input', redraw);
    redraw();
    openDialog({
      title: reply ? t('admin.replies.editTitle', { name: reply.name }) : t('admin.replies.create'),
      className: 'admin-edit',
      body: [
        field(t('admin.name'), name),
        h('p', { class: 'hint' }, t('admin.replies.nameHint')),
        field(t('admin.replies.text'), text),
        h(
          'p',
          { class: 'hint' },
          t('admin.replies.parameters'),
          ' ',
          PARAMETERS.map((p, i) => [i ? ', ' : '', h('code', {}, p)]),
          ' ',
          t('admin.replies.parametersTake', { customer: t('admin.replies.sampleCustomer'), operator: me }),
        ),
        h('div', { class: 'preview-box' }, h('span', { class: 'hint' }, t('admin.replies.preview')), shown),
        h('label', { class: 'check' }, template, ` ${t('admin.replies.template')}`),
        h('p', { class: 'hint' }, t('admin.replies.templateHint')),
        queues,
        h('p', { class: 'hint' }, t('admin.replies.queuesHint')),
      ],
      submitLabel: reply ? t('admin.save') : t('admin.create'),
      submit: async () => {
        const values = { name: name.value.trim(), text: text.value, approvedTemplate: template.checked, queueIds: [...ticked(queues)] };
        if (reply) await panel.api.request(op.UPDATE_QUICK_REPLY, { input: { id: reply.id, ...values } });
        else await panel.api.request(op.CREATE_QUICK_REPLY, { input: values });
        await this.done(reply ? t('admin.saved') : t('admin.replies.created', { name: values.name }));
      },
    });
  }

  #archive(reply) {
    openConfirmDialog({
      title: t('admin.archiveTitle', { name: reply.name }),
      text: t('admin.replies.archiveText'),
      confirmLabel: t('admin.archive'),
      confirm: async () => {
        await panel.api.request(op.ARCHIVE_QUICK_REPLY, { input: { id: reply.id } });
        await this.done(t('admin.archived', { name: reply.name }));
      },
    });
  }
}

/** The named lists, each with its operations and what archiving an entry does. */
const LISTS = [
  { key: 'skills', ops: op.SKILLS, field: 'skills' },
  { key: 'wrapUpReasons', ops: op.WRAP_UP_REASONS, field: 'wrapUpReasons' },
  { key: 'results', ops: op.CHAT_RESULTS, field: 'chatResults' },
  { key: 'topics', ops: op.TOPICS, field: 'topics' },
  { key: 'customStatuses', ops: op.CUSTOM_STATUSES, field: 'customStatuses' },
  { key: 'botSchemes', ops: op.BOT_SCHEMES, field: 'botSchemes' },
];

class AdminDictionaries extends AdminScreen {
  async load() {
    const lists = await Promise.all(LISTS.map((list) => panel.api.request(list.ops.list)));
    // Topics come as one list; subtopics are shown under theirs.
    return LISTS.map((list, i) => ({ ...list, entries: lists[i][list.field].filter((entry) => !entry.parentId) }));
  }

  render(lists) {
    return [header(t('admin.dictionaries')), h('div', { class: 'dictionaries' }, lists.map((list) => this.#section(list)))];
  }

  /** One list: its entries (topics with their subtopics) and a line to add one. */
  #section(list) {
    const title = t(`admin.dict.${list.key}`);
    const entry = (item, parentName) =>
      h(
        'li',
        { dataset: { id: item.id } },
        h('span', { class: 'entry-name' }, item.name),
        rowAction(t('admin.rename'), item.name, () => this.#rename(list, item)),
        rowAction(t('admin.archive'), item.name, () => this.#archive(list, item)),
        list.key === 'topics' && !parentName
          ? [
              h('ul', { class: 'subtopics', 'aria-label': t('admin.dict.subtopicsOf', { name: item.name }) }, item.subtopics.map((sub) => entry(sub, item.name))),
              this.#adder(list, t('admin.dict.newSubtopic', { name: item.name }), item.id),
            ]
          : null,
      );
    return h(
      'section',
      { class: 'dictionary', 'aria-label': title, dataset: { list: list.key } },
      h('h3', {}, title),
      h('p', { class: 'hint' }, t(`admin.dict.${list.key}.hint`)),
      list.entries.length ? h('ul', { class: 'entries' }, list.entries.map((item) => entry(item))) : h('p', { class: 'empty' }, t('admin.noneYet')),
      this.#adder(list, t('admin.dict.new', { list: title })),
    );
  }

  /** A name field and Add; a refusal (a name taken) shows under the field. */
  #adder(list, label, parentId = null) {
    const name = h('input', { type: 'text', name: 'name', required: true, maxLength: 100, autocomplete: 'off' });
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h(
      'form',
      {
        class: 'adder',
        onsubmit: async (event) => {
          event.preventDefault();
          clearRefusal(form, error);
          const input = { name: name.value.trim(), ...(parentId ? { parentId } : {}) };
          try {
            await panel.api.request(list.ops.create, { input });
          } catch (e) {
            showRefusal(form, e, error);
            return;
          }
          await this.done(t('admin.added', { name: input.name }));
        },
      },
      field(label, name),
      h('button', { type: 'submit' }, t('admin.add')),
      error,
    );
    return form;
  }

  #rename(list, item) {
    const name = h('input', { type: 'text', name: 'name', required: true, maxLength: 100, value: item.name, autocomplete: 'off' });
    openDialog({
      title: t('admin.renameTitle', { name: item.name }),
      body: field(t('admin.name'), name),
      submitLabel: t('admin.save'),
      submit: async () => {
        await panel.api.request(list.ops.update, { input: { id: item.id, name: name.value.trim() } });
        await this.done();
      },
    });
  }

  #archive(list, item) {
    openConfirmDialog({
      title: t('admin.archiveTitle', { name: item.name }),
      text: t('admin.dict.archiveText'),
      confirmLabel: t('admin.archive'),
      confirm: async () => {
        await panel.api.request(list.ops.archive, { input: { id: item.id } });
        await this.done(t('admin.archived', { name: item.name }));
      },
    });
  }
}

customElements.define('op-admin-replies', AdminQuickReplies);
customElements.define('op-admin-dictionaries', AdminDictionaries);
