// Modal dialogs: transfer (E1), conference (E2), close with wrap-up reason and result (D6), a
// new outgoing message with recipient detection (I), assigning a waiting chat (supervisors),
// and one's own profile. Native `<dialog>`s: focus stays inside,
// Escape closes them, and a refusal shows in the dialog next to the field it names.

import { h, mount, select, debounce, field } from '../dom.js';
import { panel, run } from '../panel.js';
import { t } from '../i18n.js';
import * as op from '../operations.js';
import { problemWith } from './composer.js';

/**
 * Opens a dialog. `submit(form)` runs on the primary button; it resolves when done (the dialog
 * closes) or throws an `ApiError` (shown, the dialog stays): a refusal that names a field is
 * shown under that field, which is marked invalid and focused. A dialog that only tells
 * something (`cancellable: false`) has its one button.
 */
export function openDialog({ title, body, submitLabel, submit, className = '', cancellable = true }) {
  const error = h('p', { class: 'error', role: 'alert' });
  const primary = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const dialog = h(
    'dialog',
    { class: className, 'aria-labelledby': 'dialog-title' },
    h(
      'form',
      {
        onsubmit: async (event) => {
          event.preventDefault();
          primary.disabled = true;
          clearRefusal(dialog, error);
          try {
            await submit();
            dialog.close();
          } catch (e) {
            showRefusal(dialog, e, error);
          } finally {
            primary.disabled = false;
          }
        },
      },
      h('h2', { id: 'dialog-title' }, title),
      body,
      error,
      h(
        'div',
        { class: 'dialog-actions' },
        cancellable ? h('button', { type: 'button', onclick: () => dialog.close() }, t('dialog.cancel')) : null,
        primary,
      ),
    ),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.querySelector('op-app').append(dialog);
  dialog.showModal();
  return { dialog, error, primary };
}

let refusals = 0;

/**
 * Shows a refusal (an `ApiError`) inside `root`: under the control its field names (or the list
 * it is an item of: `frameAncestors[1]` is the `frameAncestors` control), which is marked
 * invalid, described by it and focused; a refusal of no field there goes in `fallback`.
 */
export function showRefusal(root, error, fallback) {
  clearRefusal(root, fallback);
  const names = error.field ? [error.field, error.field.split(/[[.]/)[0]] : [];
  const control = names.map((name) => root.querySelector(`[name="${CSS.escape(name)}"]`)).find(Boolean);
  if (!control) {
    fallback.textContent = error.message;
    return;
  }
  const id = `refusal-${++refusals}`;
  (control.closest('label.field') ?? control).after(h('p', { class: 'error field-error', id, role: 'alert' }, error.message));
  control.setAttribute('aria-invalid', 'true');
  control.setAttribute('aria-describedby', id);
  control.focus();
}

/** Takes away what `showRefusal` showed. */
export function clearRefusal(root, fallback) {
  fallback.textContent = '';
  for (const shown of root.querySelectorAll('.field-error')) shown.remove();
  for (const invalid of root.querySelectorAll('[aria-invalid]')) {
    invalid.removeAttribute('aria-invalid');
    invalid.removeAttribute('aria-describedby');
  }
}

/** Asks before an action that cannot be taken back; runs `confirm` when the user agrees. */
export function openConfirmDialog({ title, text, confirmLabel, confirm }) {
  openDialog({ title, body: h('p', {}, text), submitLabel: confirmLabel, submit: confirm, className: 'confirm' });
}

/** Who may be handed a chat or invited to one (001): a colleague online or ready. */
const takesTransfers = (operator) => operator.status === 'READY' || operator.status === 'ONLINE';

/** Transfer to an operator, a queue or a bot scheme; only available targets unless asked, and
 * then the others greyed out (the server refuses them too). */
export async function openTransferDialog(chat) {
  const { wrapUpReasons } = await run(() => panel.workplace.loadDictionaries()) ?? { wrapUpReasons: [] };
  const onlyAvailable = h('input', { type: 'checkbox', checked: true, name: 'onlyAvailable' });
  const search = h('input', { type: 'search', name: 'search', 'aria-label': t('transfer.search'), placeholder: t('transfer.search') });
  const targets = h('div', { class: 'targets', role: 'radiogroup', 'aria-label': t('transfer.target') });
  const reason = select({ name: 'wrapUpReasonId' }, [{ value: '', label: t('transfer.noReason') }, ...wrapUpReasons.map((r) => ({ value: r.id, label: r.name }))], '');
  const load = async () => {
    const found = await run(() => panel.api.request(op.TRANSFER_TARGETS, { onlyAvailable: onlyAvailable.checked, search: search.value || null }));
    if (!found) return;
    // The server searches operators; queues and bot schemes are few, and narrowed here.
    const typed = search.value.trim().toLocaleLowerCase();
    const named = (item) => item.name.toLocaleLowerCase().includes(typed);
    const queues = found.queues.filter(named);
    const schemes = found.botSchemes.filter(named);
    const me = panel.workplace.me.id;
    const option = (group, id, label, detail, enabled = true) =>
      h(
        'label',
        { class: enabled ? 'target' : 'target unavailable' },
        h('input', { type: 'radio', name: 'target', value: `${group}:${id}`, disabled: !enabled }),
        h('span', {}, label),
        detail ? h('small', {}, detail) : null,
      );
    mount(
      targets,
      h('fieldset', {}, h('legend', {}, t('transfer.operators')),
        found.operators.filter((o) => o.id !== me).map((o) =>
          option('operator', o.id, [o.firstName, o.lastName].filter(Boolean).join(' '), `${t(`status.${o.status}`)} · ${o.activeChatCount}/${o.maxChats}`, takesTransfers(o))),
        found.operators.some((o) => o.id !== me) ? null : h('p', { class: 'empty' }, t('transfer.noOperators'))),
      h('fieldset', {}, h('legend', {}, t('transfer.queues')),
        queues.map((q) => option('queue', q.id, q.name)),
        queues.length ? null : h('p', { class: 'empty' }, t(typed ? 'transfer.noMatch' : 'transfer.noQueues'))),
      schemes.length
        ? h('fieldset', {}, h('legend', {}, t('transfer.schemes')), schemes.map((s) => option('scheme', s.id, s.name)))
        : null,
    );
  };
  onlyAvailable.addEventListener('change', load);
  search.addEventListener('input', debounce(load, 250));
  openDialog({
    title: t('transfer.title', { title: chat.title }),
    className: 'transfer',
    body: [
      h(
        'div',
        { class: 'row' },
        search,
        h('label', {}, onlyAvailable, ' ', t('transfer.onlyAvailable')),
        // Colleagues' statuses change while the dialog is open.
        h('button', { type: 'button', class: 'link', onclick: load }, t('transfer.refresh')),
      ),
      targets,
      field(t('transfer.reason'), reason),
    ],
    submitLabel: t('action.transfer'),
    submit: async () => {
      const input = targets.querySelector('input[name="target"]:checked');
      if (!input) throw Object.assign(new Error(t('transfer.chooseTarget')), { field: 'target' });
      const [group, id] = input.value.split(':');
      const key = { operator: 'toOperatorId', queue: 'toQueueId', scheme: 'toSchemeId' }[group];
      await panel.workplace.act(op.TRANSFER, { chatId: chat.id, [key]: id, wrapUpReasonId: reason.value || null });
      panel.workplace.closeView();
      // Say where it went: the chat leaves the operator's lists at once.
      const target = input.closest('label').querySelector('span').textContent;
      panel.notify(t('transfer.done', { title: chat.title, target }));
    },
  });
  await load();
}

/** A supervisor gives a waiting chat to a colleague (online or ready; the others greyed out). */
export async function openAssignDialog(chat) {
  const found = await run(() => panel.api.request(op.TRANSFER_TARGETS, { onlyAvailable: false, search: null }));
  if (!found) return;
  const colleagues = found.operators.filter((o) => o.status !== 'OFFLINE');
  const choice = select(
    { name: 'operatorId', required: true },
    [
      { value: '', label: t('conference.choose') },
      ...colleagues.map((o) => ({
        value: o.id,
        label: `${[o.firstName, o.lastName].filter(Boolean).join(' ')} (${t(`status.${o.status}`)} · ${o.activeChatCount}/${o.maxChats})`,
        disabled: !takesTransfers(o),
      })),
    ],
    '',
  );
  openDialog({
    title: t('assign.title', { title: chat.title }),
    body: field(t('conference.operator'), choice),
    submitLabel: t('card.assign'),
    submit: () => panel.workplace.act(op.ASSIGN, { chatId: chat.id, operatorId: choice.value }),
  });
}

/** Invite a colleague into the chat (E2). */
export async function openConferenceDialog(chat) {
  const found = await run(() => panel.api.request(op.TRANSFER_TARGETS, { onlyAvailable: false, search: null }));
  if (!found) return;
  const me = panel.workplace.me.id;
  const present = new Set(chat.participants.filter((p) => p.state !== 'LEFT').map((p) => p.operator?.id));
  const colleagues = found.operators.filter((o) => o.id !== me && !present.has(o.id) && o.status !== 'OFFLINE');
  const choice = select(
    { name: 'operatorId', required: true },
    [
      { value: '', label: t('conference.choose') },
      ...colleagues.map((o) => ({
        value: o.id,
        label: `${[o.firstName, o.lastName].filter(Boolean).join(' ')} (${t(`status.${o.status}`)})`,
        disabled: !takesTransfers(o),
      })),
    ],
    '',
  );
  // What is typed narrows the colleagues; only those who may join (online or ready) are listed
  // unless asked, and then the others are greyed out. One match left is chosen.
  const onlyAvailable = h('input', { type: 'checkbox', name: 'onlyAvailable', checked: true });
  const search = h('input', { type: 'search', name: 'search', autocomplete: 'off' });
  const narrow = () => {
    const words = search.value.trim().toLocaleLowerCase();
    const shown = [...choice.options].filter((o) => {
      if (!o.value) return false;
      o.hidden = !o.label.toLocaleLowerCase().includes(words) || (onlyAvailable.checked && o.disabled);
      return !o.hidden;
    });
    if (words && shown.length === 1 && !shown[0].disabled) choice.value = shown[0].value;
    else if (choice.selectedOptions[0]?.hidden) choice.value = '';
  };
  search.addEventListener('input', narrow);
  onlyAvailable.addEventListener('change', narrow);
  narrow();
  openDialog({
    title: t('conference.title'),
    body: [
      field(t('conference.search'), search),
      h('label', { class: 'check' }, onlyAvailable, ` ${t('transfer.onlyAvailable')}`),
      field(t('conference.operator'), choice),
    ],
    submitLabel: t('conference.invite'),
    submit: () => panel.workplace.act(op.CONFERENCE, { chatId: chat.id, operatorId: choice.value }),
  });
}

/** A search box that narrows `list`'s options to those containing what is typed (any case),
 * and chooses the one left when only one is. */
function finder(list) {
  const narrow = (typed) => {
    const words = typed.trim().toLocaleLowerCase();
    const shown = [...list.options].filter((o) => {
      o.hidden = Boolean(o.value) && !o.label.toLocaleLowerCase().includes(words);
      return o.value && !o.hidden;
    });
    if (shown.length === 1) list.value = shown[0].value;
    else if (list.selectedOptions[0]?.hidden) list.value = '';
  };
  return h('input', { type: 'search', name: 'findReason', autocomplete: 'off', oninput: (e) => narrow(e.target.value) });
}

/** Close with a wrap-up reason (required) and optionally a result with a detail (D6). */
export async function openCloseDialog(chat) {
  const dictionaries = await run(() => panel.workplace.loadDictionaries());
  if (!dictionaries) return;
  const reason = select(
    { name: 'wrapUpReasonId', required: true },
    [{ value: '', label: t('close.chooseReason') }, ...dictionaries.wrapUpReasons.map((r) => ({ value: r.id, label: r.name }))],
    '',
  );
  const result = select({ name: 'resultId' }, [{ value: '', label: t('close.noResult') }, ...dictionaries.chatResults.map((r) => ({ value: r.id, label: r.name }))], '');
  const detail = h('textarea', { name: 'resultDetail', rows: '2', maxlength: '1000' });
  openDialog({
    title: t('close.title', { title: chat.title }),
    body: [
      dictionaries.wrapUpReasons.length > 5 ? field(t('close.findReason'), finder(reason)) : null,
      field(t('close.reason'), reason),
      field(t('close.result'), result),
      field(t('close.detail'), detail),
    ],
    submitLabel: t('action.close'),
    submit: () =>
      panel.workplace.act(op.CLOSE, {
        chatId: chat.id,
        wrapUpReasonId: reason.value,
        resultId: result.value || null,
        resultDetail: detail.value.trim() || null,
      }),
  });
}

/**
 * "New message" (I): the address is read as it is typed (a phone, a messenger id, a
 * @username or a contact's name); when it reads several ways the operator picks one. `to`
 * comes filled in when the operator writes again to the customer of a closed chat.
 */
export function openOutgoingDialog({ to: address = '' } = {}) {
  const to = h('input', { name: 'to', required: true, autocomplete: 'off', value: address });
  const candidates = h('div', { class: 'candidates', role: 'radiogroup', 'aria-label': t('outgoing.recipient') });
  const text = h('textarea', { name: 'text', rows: '3', required: true });
  // WhatsApp is opened only with an approved template (I3): then the operator picks one, and
  // what goes is the template itself, filled in by the server.
  const template = select({ name: 'quickReplyId' }, [{ value: '', label: t('outgoing.chooseTemplate') }], '');
  const templatePicker = h('div', { class: 'template-picker', hidden: true }, field(t('outgoing.template'), template), h('p', { class: 'hint' }, t('outgoing.templateHint')));
  let templates = null; // the approved templates, loaded once when first needed
  const chosen = () => found[Number(candidates.querySelector('input[name="candidate"]:checked')?.value ?? -1)];
  const needsTemplate = () => chosen()?.channel.kind === 'INFOBIP_WHATSAPP';
  const showTemplates = () => {
    const needed = needsTemplate();
    templatePicker.hidden = !needed;
    text.readOnly = needed;
    if (!needed || templates) return;
    templates = run(() => panel.api.request(op.QUICK_REPLY_LIST)).then((answer) => {
      const approved = (answer?.quickReplies ?? []).filter((r) => r.approvedTemplate);
      template.append(...approved.map((r) => h('option', { value: r.id }, r.name)));
      return approved;
    });
  };
  template.addEventListener('change', async () => {
    text.value = (await templates)?.find((r) => r.id === template.value)?.text ?? '';
  });
  candidates.addEventListener('change', showTemplates);
  let found = [];
  const detect = debounce(async () => {
    const value = to.value.trim();
    if (value.length < 2) {
      found = [];
      mount(candidates);
      return;
    }
    const answer = await run(() => panel.api.request(op.CANDIDATES, { to: value }));
    if (!answer || to.value.trim() !== value) return;
    found = answer.recipientCandidates;
    mount(
      candidates,
      found.length
        ? [
            found.length > 1 ? h('p', {}, t('outgoing.ambiguous')) : null,
            found.map((c, i) =>
              h(
                'label',
                { class: 'target' },
                h('input', { type: 'radio', name: 'candidate', value: String(i), checked: found.length === 1 }),
                h('span', {}, c.displayName),
                h('small', {}, `${t(`addressKind.${c.kind}`)} · ${c.provider} · ${c.gateway}`),
              ),
            ),
          ]
        : h('p', { class: 'empty' }, t('outgoing.nobody')),
    );
    showTemplates();
  }, 300);
  to.addEventListener('input', detect);
  if (address) detect();
  openDialog({
    title: t('outgoing.title'),
    body: [field(t('outgoing.to'), to), h('p', { class: 'hint' }, t('outgoing.hint')), candidates, templatePicker, field(t('outgoing.text'), text)],
    submitLabel: t('composer.send'),
    submit: async () => {
      const index = candidates.querySelector('input[name="candidate"]:checked')?.value;
      if (index == null) throw Object.assign(new Error(found.length > 1 ? t('outgoing.confirm') : t('outgoing.nobody')), { field: 'to' });
      const c = found[Number(index)];
      if (needsTemplate() && !template.value) throw Object.assign(new Error(t('outgoing.templateNeeded')), { field: 'quickReplyId' });
      const problem = needsTemplate() ? null : problemWith(text.value);
      if (problem) throw Object.assign(new Error(problem), { field: 'text' });
      const { chat } = await panel.workplace.act(op.SEND_OUTGOING, {
        to: c.address,
        kind: c.kind,
        gatewayId: c.gatewayId,
        provider: c.provider,
        text: text.value.trim(),
        quickReplyId: needsTemplate() ? template.value : null,
      });
      await panel.workplace.open(chat.id);
    },
  });
  to.focus();
}

/** One's own name and password: a new password needs the current one and is typed twice. */
export function openProfileDialog() {
  const me = panel.workplace.me;
  const input = (name, type, value, autocomplete) => h('input', { name, type, value, autocomplete });
  const firstName = input('firstName', 'text', me.firstName, 'given-name');
  const lastName = input('lastName', 'text', me.lastName, 'family-name');
  const current = input('currentPassword', 'password', '', 'current-password');
  const fresh = input('newPassword', 'password', '', 'new-password');
  const repeat = input('repeatPassword', 'password', '', 'new-password');
  openDialog({
    title: t('profile.title'),
    className: 'profile',
    body: [
      field(t('signUp.firstName'), firstName),
      field(t('signUp.lastName'), lastName),
      h('fieldset', {}, h('legend', {}, t('profile.password')),
        field(t('profile.current'), current),
        field(t('profile.new'), fresh),
        field(t('signUp.repeat'), repeat)),
    ],
    submitLabel: t('profile.save'),
    submit: async () => {
      if (fresh.value !== repeat.value) {
        throw Object.assign(new Error(t('signUp.mismatch')), { field: 'repeatPassword' });
      }
      const changes = {};
      if (firstName.value !== me.firstName) changes.firstName = firstName.value;
      if (lastName.value !== me.lastName) changes.lastName = lastName.value;
      if (fresh.value) Object.assign(changes, { currentPassword: current.value, newPassword: fresh.value });
      if (Object.keys(changes).length) await panel.workplace.updateProfile(changes);
      panel.notify(t('profile.saved'));
    },
  });
}
