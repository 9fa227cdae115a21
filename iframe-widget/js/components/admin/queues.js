// Queues (C1, C6, X3, X6, 001): where chats wait for operators. An administrator creates one,
// renames it, sets the skill routing requires, how many chats may wait, its own after-chat work,
// what a waiting customer is told in and out of its working hours, and its members; and archives
// it, naming the queue its open chats move to.

import { h, field, select } from '../../dom.js';
import { panel } from '../../panel.js';
import { timeZones } from '../../clock.js';
import { t } from '../../i18n.js';
import * as op from '../../operations.js';
import { openDialog } from '../dialogs.js';
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
    this.queues = queues;
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
          [t('admin.queues.hours'), (q) => hoursSummary(q)],
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
    const queuedReply = h('textarea', { name: 'queuedReply', maxLength: 1000, rows: 2 }, queue?.queuedReply ?? '');
    const outOfHoursReply = h('textarea', { name: 'outOfHoursReply', maxLength: 1000, rows: 2 }, queue?.outOfHoursReply ?? '');
    const timeZone = h('input', { type: 'text', name: 'timeZone', list: 'time-zones', maxLength: 64, value: queue?.timeZone ?? '', placeholder: 'UTC', autocomplete: 'off' });
    const week = weekEditor(queue?.workingHours ?? []);
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
        field(t('admin.queues.queuedReply'), queuedReply),
        h('p', { class: 'hint' }, t('admin.queues.queuedReplyHint')),
        week.element,
        field(t('admin.queues.timeZone'), timeZone),
        h('datalist', { id: 'time-zones' }, timeZones().map((zone) => h('option', { value: zone }))),
        field(t('admin.queues.outOfHoursReply'), outOfHoursReply),
        h('p', { class: 'hint' }, t('admin.queues.outOfHoursHint')),
        members,
      ],
      submitLabel: queue ? t('admin.save') : t('admin.create'),
      submit: async () => {
        const fields = { name, skill, sizeLimit, afterChat, queuedReply, outOfHoursReply, timeZone, week };
        const id = queue ? await this.#update(queue, fields) : await this.#create(fields);
        const operatorIds = [...ticked(members)];
        const before = (queue?.members.map((m) => m.id) ?? []).sort().join();
        if ([...operatorIds].sort().join() !== before) {
          await panel.api.request(op.SET_QUEUE_MEMBERS, { input: { queueId: id, operatorIds } });
        }
        await this.done(queue ? t('admin.saved') : t('admin.queues.created', { name: name.value.trim() }));
      },
    });
  }

  async #create({ name, skill, sizeLimit, afterChat, queuedReply, outOfHoursReply, timeZone, week }) {
    const input = {
      name: name.value.trim(),
      skillId: skill.value || null,
      sizeLimit: numberOf(sizeLimit),
      afterChatWorkSecs: numberOf(afterChat),
      queuedReply: queuedReply.value.trim() || null,
      outOfHoursReply: outOfHoursReply.value.trim() || null,
      workingHours: week.value(),
      timeZone: timeZone.value.trim() || null,
    };
    const { createQueue } = await panel.api.request(op.CREATE_QUEUE, { input });
    return createQueue.queue.id;
  }

  /** Sends only what changed; an emptied field clears the queue's own value. */
  async #update(queue, { name, skill, sizeLimit, afterChat, queuedReply, outOfHoursReply, timeZone, week }) {
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
    for (const [box, key, clear] of [
      [queuedReply, 'queuedReply', 'clearQueuedReply'],
      [outOfHoursReply, 'outOfHoursReply', 'clearOutOfHoursReply'],
    ]) {
      const text = box.value.trim();
      if (text !== (queue[key] ?? '')) {
        if (text) input[key] = text;
        else input[clear] = true;
      }
    }
    const hours = week.value();
    if (JSON.stringify(hours) !== JSON.stringify(queue.workingHours)) input.workingHours = hours;
    if (timeZone.value.trim() && timeZone.value.trim() !== queue.timeZone) input.timeZone = timeZone.value.trim();
    if (Object.keys(input).length > 1) await panel.api.request(op.UPDATE_QUEUE, { input });
    return queue.id;
  }

  /** Archives a queue; its open chats move to the queue chosen here (the server refuses
   * without one when any are open, and says how many). */
  #archive(queue) {
    const others = this.queues.filter((q) => q.id !== queue.id);
    const target = select(
      { name: 'moveChatsTo' },
      [{ value: '', label: t('admin.queues.moveNowhere') }, ...others.map((q) => ({ value: q.id, label: q.name }))],
      others[0]?.id ?? '',
    );
    openDialog({
      title: t('admin.queues.archiveTitle', { name: queue.name }),
      className: 'confirm',
      body: [h('p', {}, t('admin.queues.archiveText')), field(t('admin.queues.moveChatsTo'), target)],
      submitLabel: t('admin.archive'),
      submit: async () => {
        await panel.api.request(op.ARCHIVE_QUEUE, { input: { id: queue.id, moveChatsTo: target.value || null } });
        await this.done(t('admin.archived', { name: queue.name }));
      },
    });
  }
}

/** The days of the week as the API names them, Monday first. */
const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

/** The queue's hours in a line: "Always open", or the open days and whether it is open now. */
function hoursSummary(queue) {
  if (queue.workingHours.length === 0) return t('admin.queues.alwaysOpen');
  const days = DAYS.filter((day) => queue.workingHours.some((span) => span.day === day)).map((day) => t(`admin.day.${day}`));
  return `${days.join(', ')} · ${t(queue.openNow ? 'admin.queues.openNow' : 'admin.queues.closedNow')}${queue.timeZone ? ` (${queue.timeZone})` : ''}`;
}

/**
 * A week of opening times, one span a day to edit: a day ticked is open from its first to its
 * second time ("00:00" as the closing time is midnight). A day the API gave more spans keeps
 * the others as they are (and says so). `value()` gives the spans as the API takes them; none
 * ticked is "always open".
 */
function weekEditor(spans) {
  const rows = DAYS.map((day) => {
    const [span, ...more] = spans.filter((s) => s.day === day);
    const open = h('input', { type: 'checkbox', name: `open-${day}`, checked: Boolean(span) });
    const opens = h('input', { type: 'time', name: `opens-${day}`, value: span?.opens ?? '09:00', 'aria-label': t('admin.queues.opens') });
    const closes = h('input', { type: 'time', name: `closes-${day}`, value: span?.closes === '24:00' ? '00:00' : (span?.closes ?? '18:00'), 'aria-label': t('admin.queues.closes') });
    const kept = more.length ? h('span', { class: 'hint' }, t('admin.queues.moreSpans', { n: more.length })) : null;
    return { day, open, opens, closes, more, element: h('div', { class: 'week-day' }, h('label', { class: 'check' }, open, ` ${t(`admin.day.${day}`)}`), opens, ' – ', closes, kept) };
  });
  return {
    element: h('fieldset', { class: 'week', name: 'workingHours' }, h('legend', {}, t('admin.queues.hours')), h('p', { class: 'hint' }, t('admin.queues.hoursHint')), rows.map((r) => r.element)),
    value: () =>
      rows
        .filter((r) => r.open.checked)
        .flatMap((r) => [{ day: r.day, opens: r.opens.value, closes: r.closes.value === '00:00' ? '24:00' : r.closes.value }, ...r.more]),
  };
}

customElements.define('op-admin-queues', AdminQueues);
