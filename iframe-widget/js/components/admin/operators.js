// Operators (000, A1–A3, C2, X3): who works here, in which role, with what limit, queues and
// skills. An administrator invites someone (the link to send is shown, to copy), changes an
// operator's role (at most their own, never their own), chat limit, skills with levels and
// queues, and deactivates one who leaves; the server checks each of these again.

import { h, field, select } from '../../dom.js';
import { panel } from '../../panel.js';
import { t } from '../../i18n.js';
import * as op from '../../operations.js';
import { openDialog, openConfirmDialog } from '../dialogs.js';
import { AdminScreen, header, table, rowAction, numberInput, numberOf, grantableRoles, fullName, checklist, ticked, copyable, tellAfter } from './shared.js';

const LEVELS = [1, 2, 3, 4, 5];

class AdminOperators extends AdminScreen {
  async load() {
    const [{ operators }, { queues }, { skills }] = await Promise.all([
      panel.api.request(op.ADMIN_OPERATORS),
      panel.api.request(op.ADMIN_QUEUES),
      panel.api.request(op.SKILLS.list),
    ]);
    return { operators, queues, skills };
  }

  render({ operators, queues, skills }) {
    this.queues = queues;
    this.skills = skills;
    return [
      header(t('admin.operators'), h('button', { type: 'button', class: 'primary', onclick: () => this.#invite() }, t('admin.operators.invite'))),
      table(
        t('admin.operators'),
        [
          [t('admin.name'), (o) => fullName(o)],
          [t('admin.operators.email'), (o) => o.email ?? ''],
          [t('admin.operators.role'), (o) => t(`role.${o.role}`)],
          [t('admin.operators.status'), (o) => t(`status.${o.status}`)],
          [t('admin.operators.limit'), (o) => String(o.maxChats)],
          [t('admin.queues'), (o) => o.queues.map((q) => q.name).join(', ')],
          [t('admin.skills'), (o) => o.skills.map((s) => `${s.skill.name} ${s.level}`).join(', ')],
          [
            '',
            (o) => [
              rowAction(t('admin.edit'), fullName(o), () => this.#edit(o)),
              this.#mayDeactivate(o) ? [' ', rowAction(t('admin.operators.deactivate'), fullName(o), () => this.#deactivate(o))] : null,
            ],
          ],
        ],
        operators,
        t('admin.operators.none'),
      ),
    ];
  }

  /** Invites someone by e-mail; the link to send them is shown once it exists. */
  #invite() {
    const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off' });
    const role = select({ name: 'role' }, grantableRoles().map((r) => ({ value: r, label: t(`role.${r}`) })), 'OPERATOR');
    openDialog({
      title: t('admin.operators.invite'),
      body: [field(t('admin.operators.email'), email), field(t('admin.operators.role'), role)],
      submitLabel: t('admin.operators.sendInvite'),
      submit: async () => {
        const { inviteOperator } = await panel.api.request(op.INVITE_OPERATOR, { input: { email: email.value.trim(), role: role.value } });
        tellAfter(
          t('admin.operators.invited'),
          [h('p', {}, t('admin.operators.sendLink', { email: email.value.trim() })), copyable(t('admin.operators.link'), inviteOperator.link, 'link')],
          'invitation-link',
        );
      },
    });
  }

  /** Whether the signed-in administrator may deactivate `operator`: not themselves, nobody above. */
  #mayDeactivate(operator) {
    return operator.id !== panel.workplace.me?.id && grantableRoles().includes(operator.role);
  }

  /** Deactivates an operator, once told what that does. */
  #deactivate(operator) {
    openConfirmDialog({
      title: t('admin.operators.deactivateTitle', { name: fullName(operator) }),
      text: t('admin.operators.deactivateText'),
      confirmLabel: t('admin.operators.deactivate'),
      confirm: async () => {
        await panel.api.request(op.ARCHIVE_OPERATOR, { input: { id: operator.id } });
        await this.done(t('admin.operators.deactivated', { name: fullName(operator) }));
      },
    });
  }

  /** Role, limit, skills with levels and queues of one operator. */
  #edit(operator) {
    const isMe = operator.id === panel.workplace.me?.id;
    const roles = grantableRoles();
    const role = select(
      { name: 'role', disabled: isMe || !roles.includes(operator.role) },
      (roles.includes(operator.role) ? roles : [...roles, operator.role]).map((r) => ({ value: r, label: t(`role.${r}`) })),
      operator.role,
    );
    const maxChats = numberInput('maxChats', operator.maxChats, { min: 1, max: 50 });
    maxChats.required = true;
    const levels = new Map(operator.skills.map((s) => [s.skill.id, s.level]));
    const skillRows = this.skills.map((skill) => {
      const has = h('input', { type: 'checkbox', name: 'skill', value: skill.id, checked: levels.has(skill.id) });
      const level = select(
        { name: 'level', 'aria-label': t('admin.operators.levelOf', { skill: skill.name }) },
        LEVELS.map((n) => ({ value: String(n), label: String(n) })),
        String(levels.get(skill.id) ?? 3),
      );
      return { skill, has, level, row: h('div', { class: 'skill-level' }, h('label', {}, has, ` ${skill.name}`), level) };
    });
    const memberOf = new Set(operator.queues.map((q) => q.id));
    const queueList = checklist('queues', t('admin.queues'), this.queues.map((q) => ({ id: q.id, label: q.name })), memberOf);
    openDialog({
      title: t('admin.operators.editTitle', { name: fullName(operator) }),
      className: 'admin-edit',
      body: [
        field(t('admin.operators.role'), role),
        isMe ? h('p', { class: 'hint' }, t('admin.operators.ownRole')) : null,
        field(t('admin.operators.limit'), maxChats),
        h('fieldset', { class: 'checklist' }, h('legend', {}, t('admin.skills')), skillRows.length ? skillRows.map((s) => s.row) : h('p', { class: 'empty' }, t('admin.noneYet'))),
        queueList,
      ],
      submitLabel: t('admin.save'),
      submit: async () => {
        const input = { id: operator.id };
        if (!role.disabled && role.value !== operator.role) input.role = role.value;
        if (numberOf(maxChats) !== operator.maxChats) input.maxChats = numberOf(maxChats);
        if (Object.keys(input).length > 1) await panel.api.request(op.UPDATE_OPERATOR, { input });
        const skills = skillRows.filter((s) => s.has.checked).map((s) => ({ skillId: s.skill.id, level: Number(s.level.value) }));
        const before = operator.skills.map((s) => `${s.skill.id}:${s.level}`).sort().join();
        if (skills.map((s) => `${s.skillId}:${s.level}`).sort().join() !== before) {
          await panel.api.request(op.SET_OPERATOR_SKILLS, { input: { operatorId: operator.id, skills } });
        }
        await this.#setQueues(operator, memberOf, ticked(queueList));
        await this.done();
      },
    });
  }

  /**
   * Adds the operator to the queues newly ticked and takes them out of those unticked; each
   * queue's members are read again first, so a colleague's change meanwhile is kept.
   */
  async #setQueues(operator, before, after) {
    const changed = this.queues.filter((q) => before.has(q.id) !== after.has(q.id));
    if (changed.length === 0) return;
    const { queues } = await panel.api.request(op.ADMIN_QUEUES);
    for (const queue of queues) {
      const was = before.has(queue.id);
      if (was === after.has(queue.id)) continue;
      const others = queue.members.map((m) => m.id).filter((id) => id !== operator.id);
      const operatorIds = was ? others : [...others, operator.id];
      await panel.api.request(op.SET_QUEUE_MEMBERS, { input: { queueId: queue.id, operatorIds } });
    }
  }
}

customElements.define('op-admin-operators', AdminOperators);
