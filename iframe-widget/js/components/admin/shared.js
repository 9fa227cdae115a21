// What the administration screens share: a screen that loads and draws itself again after each
// change, a table, and the inputs whose empty value means "none".

import { h, mount, field } from '../../dom.js';
import { panel, run, ROLES } from '../../panel.js';
import { t } from '../../i18n.js';
import { openDialog } from '../dialogs.js';

/**
 * A screen of the Administration section: `load()` fetches what it shows (it may throw an
 * `ApiError`, shown as a notice) and `render(data)` returns its content.
 */
export class AdminScreen extends HTMLElement {
  connectedCallback() {
    mount(this, h('p', { class: 'loading', role: 'status' }, t('loading')));
    this.reload();
  }

  /** Loads and draws the screen again (after a change the server accepted). */
  async reload() {
    const data = await run(() => this.load());
    if (data !== undefined && this.isConnected) mount(this, this.render(data));
  }

  /** Says the server took a change, and shows the screen as it is now. */
  async done(message) {
    panel.notify(message ?? t('admin.saved'));
    await this.reload();
  }
}

/** The screen's heading and its main action. */
export function header(title, ...actions) {
  return h('div', { class: 'admin-head' }, h('h2', {}, title), actions);
}

/**
 * A table with a caption: `columns` are `[heading, cell(row)]`; each row carries its `id`. With
 * no rows, `empty` says so instead.
 */
export function table(caption, columns, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    { class: 'admin-table' },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', { scope: 'col' }, heading)))),
    h(
      'tbody',
      {},
      // Each cell knows its heading: at the CTI panel's width a row is shown as a card.
      rows.map((row) => h('tr', { dataset: { id: row.id } }, columns.map(([heading, cell]) => h('td', { dataset: { label: heading } }, cell(row))))),
    ),
  );
}

/** A small button for a row's action. */
export function rowAction(label, name, onclick) {
  return h('button', { type: 'button', class: 'link', 'aria-label': `${label}: ${name}`, onclick }, label);
}

/** A whole-number input (`min`..`max`); left empty, it means "none". */
export function numberInput(name, value, { min, max }) {
  return h('input', { type: 'number', name, min, max, step: 1, inputmode: 'numeric', value: value ?? '' });
}

/** The number an input holds, or null when it is empty. */
export function numberOf(input) {
  return input.value.trim() === '' ? null : Number(input.value);
}

/** Roles the signed-in administrator may give: up to their own. */
export function grantableRoles() {
  const mine = ROLES.indexOf(panel.workplace.me?.role);
  return ROLES.filter((_, rank) => rank <= mine);
}

/** An operator's full name. */
export const fullName = (o) => [o.firstName, o.lastName].filter(Boolean).join(' ');

/** A group of checkboxes, one per `{ id, label }`, those in `checked` ticked. */
export function checklist(name, legend, items, checked) {
  return h(
    'fieldset',
    { class: 'checklist' },
    h('legend', {}, legend),
    items.length === 0
      ? h('p', { class: 'empty' }, t('admin.noneYet'))
      : items.map((item) =>
          h('label', {}, h('input', { type: 'checkbox', name, value: item.id, checked: checked.has(item.id) }), ` ${item.label}`),
        ),
  );
}

/** The values of a checklist's ticked boxes. */
export function ticked(list) {
  return new Set([...list.querySelectorAll('input[type="checkbox"]:checked')].map((box) => box.value));
}

/** Copies text to the clipboard; says so, or that it could not. */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    panel.notify(t('admin.copied'));
  } catch {
    panel.notify(t('admin.copyFailed'));
  }
}

/** A read-only value to hand on (a link, a secret) with a Copy button. */
export function copyable(label, value, name) {
  const input = h('input', { type: 'text', name, value, readOnly: true, onfocus: (e) => e.target.select() });
  return h('div', { class: 'copyable' }, field(label, input), h('button', { type: 'button', onclick: () => copy(value) }, t('admin.copy')));
}

/**
 * Tells what exists only now (an invitation link, a key, a secret) in a dialog with one button,
 * opened once the dialog that made it has closed.
 */
export function tellAfter(title, body, className = '') {
  setTimeout(() => openDialog({ title, body, submitLabel: t('admin.close'), submit: async () => {}, cancellable: false, className }), 0);
}

/** How a receiver checks a signed request (the README's recipe); webhooks add the delivery id. */
export function signingRecipe({ delivery = false } = {}) {
  const lines = [
    'X-Omnipanel-Timestamp: <unix seconds>',
    'X-Omnipanel-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>',
    delivery ? 'X-Omnipanel-Delivery: <the same id on every attempt: de-duplicate by it>' : null,
  ];
  return h('pre', { class: 'recipe' }, lines.filter(Boolean).join('\n'));
}
