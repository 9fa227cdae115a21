// Queues (C1, C6, X3, X6): where chats wait for operators. An administrator creates one, renames
// it, sets the skill routing requires, how many chats may wait, its own after-chat work and its
// members, and archives it, told first what that does to the chats in it.

import { h, field, select } from '../../dom.js';
import { panel } from '../../panel.js';
import { t } from '../../i18n.js';
import * as op from '../../operations.js';
import { openDialog, openConfirmDialog } from '../dialogs.js';
import { AdminScreen, header, table, rowAction, numberInput, numberOf, fullName, checklist, ticked } from './shared.js';

class AdminQueues extends AdminScreen {
  async load() {
    const [{ queues }, { operators }, { skills }] = await Promise.all([
      panel.api.request(op.ADMIN_QUEUES),
      panel.api.request(op.ADMIN_OPERATORS),
      panel.api.request(op.SKILLS.list),
    ]);
    return { queues, operators, skills };
  }

  render({ queues, operators, skills }) {
    this.operators = operators;
    this.skills = skills;
    return [
      header(t('admin.queues'), h('button', { type: 'button', class: 'primary', onclick: () => this.#edit(null) }, t('admin.queues.create'))),
      table(
        t('admin.queues'),
        [
          [t('admin.name'), (q) => q.name],
          [t('admin.queues.skill'), (q) => q.skill?.name ?? '–'],
          [t('admin.queues.sizeLimit'), (q) => (q.sizeLimit == null ? t('admin.queues.unlimited') : String(q.sizeLimit))],
          [t('admin.queues.afterChat'), (q) => (q.afterChatWorkSecs == null ? t('admin.queues.organizations') : t('admin.seconds', { n: q.afterChatWorkSecs }))],
          [t('admin.queues.members'), (q) => q.members.map(fullName).join(', ')],
          [
            '',
            (q) => [
              rowAction(t('admin.edit'), q.name, () => this.#edit(q)),
              ' ',
              rowAction(t('admin.archive'), q.name, () => this.#archive(q)),
            ],
          ],
        ],
        queues,
        t('admin.queues.none'),
      ),
    ];
  }

  /** Creates a queue (`queue` null) or changes one; members are set once the queue exists. */
  #edit(queue) {
    const name = h('input', { type: 'text', name: 'name', required: true, maxLength: 100, value: queue?.name ?? '', autocomplete: 'off' });
    const skill = select(
      { name: 'skillId' },
      [{ value: '', label: t('admin.queues.noSkill') }, ...this.skills.map((s) => ({ value: s.id, label: s.name }))],
      queue?.skill?.id ?? '',
    );
    const sizeLimit = numberInput('sizeLimit', queue?.sizeLimit, { min: 1, max: 100000 });
    const afterChat = numberInput('afterChatWorkSecs', queue?.afterChatWorkSecs, { min: 0, max: 3600 });
    const members = checklist(
      'operatorIds',
      t('admin.queues.members'),
      this.operators.map((o) => ({ id: o.id, label: fullName(o) })),
      new Set(queue?.members.map((m) => m.id) ?? []),
    );
    openDialog({
      title: queue ? t('admin.queues.editTitle', { name: queue.name }) : t('admin.queues.create'),
      className: 'admin-edit',
      body: [
        field(t('admin.name'), name),
        field(t('admin.queues.skill'), skill),
        field(t('admin.queues.sizeLimit'), sizeLimit),
        h('p', { class: 'hint' }, t('admin.queues.sizeLimitHint')),
        field(t('admin.queues.afterChatSecs'), afterChat),
        h('p', { class: 'hint' }, t('admin.queues.afterChatHint')),
        members,
      ],
      submitLabel: queue ? t('admin.save') : t('admin.create'),
      submit: async () => {
        const id = queue ? await this.#update(queue, { name, skill, sizeLimit, afterChat }) : await this.#create({ name, skill, sizeLimit, afterChat });
        const operatorIds = [...ticked(members)];
        const before = (queue?.members.map((m) => m.id) ?? []).sort().join();
        if ([...operatorIds].sort().join() !== before) {
          await panel.api.request(op.SET_QUEUE_MEMBERS, { input: { queueId: id, operatorIds } });
        }
        await this.done(queue ? t('admin.saved') : t('admin.queues.created', { name: name.value.trim() }));
      },
    });
  }

  async #create({ name, skill, sizeLimit, afterChat }) {
    const input = { name: name.value.trim(), skillId: skill.value || null, sizeLimit: numberOf(sizeLimit), afterChatWorkSecs: numberOf(afterChat) };
    const { createQueue } = await panel.api.request(op.CREATE_QUEUE, { input });
    return createQueue.queue.id;
  }

  /** Sends only what changed; an emptied field clears the queue's own value. */
  async #update(queue, { name, skill, sizeLimit, afterChat }) {
    const input = { id: queue.id };
    if (name.value.trim() !== queue.name) input.name = name.value.trim();
    if ((skill.value || null) !== (queue.skill?.id ?? null)) {
      if (skill.value) input.skillId = skill.value;
      else input.clearSkill = true;
    }
    if (numberOf(sizeLimit) !== queue.sizeLimit) {
      if (numberOf(sizeLimit) == null) input.clearSizeLimit = true;
      else input.sizeLimit = numberOf(sizeLimit);
    }
    if (numberOf(afterChat) !== queue.afterChatWorkSecs) {
      if (numberOf(afterChat) == null) input.clearAfterChatWork = true;
      else input.afterChatWorkSecs = numberOf(afterChat);
    }
    if (Object.keys(input).length > 1) await panel.api.request(op.UPDATE_QUEUE, { input });
    return queue.id;
  }

  #archive(queue) {
    openConfirmDialog({
      title: t('admin.queues.archiveTitle', { name: queue.name }),
      text: t('admin.queues.archiveText'),
      confirmLabel: t('admin.archive'),
      confirm: async () => {
        await panel.api.request(op.ARCHIVE_QUEUE, { input: { id: queue.id } });
        await this.done(t('admin.archived', { name: queue.name }));
      },
    });
  }
}

customElements.define('op-admin-queues', AdminQueues);
