// The CRM (H1–H5, L1, L2, C5): the connection (the built-in CRM, or Creatio with its address
// and client credentials, which are stored sealed and never shown again), "Test the connection"
// (a token and one contact, or which call failed in the CRM's words), sign-in through the CRM,
// and how the panel sits in the CRM: who may frame it, the chat card's address and the
// integration slot, previewed.

import { h, mount, field, select } from '../../dom.js';
import { panel, run } from '../../panel.js';
import { t } from '../../i18n.js';
import * as op from '../../operations.js';
import { showRefusal, clearRefusal } from '../dialogs.js';
import { AdminScreen, header } from './shared.js';
import { settingsForm, EMBEDDING } from './settings.js';

/** The connection's plain fields, in the order shown; `sign-in` ones are for operators' sign-in. */
const FIELDS = [
  ['baseUrl', 'url', 'creatio'],
  ['identityUrl', 'url', 'creatio'],
  ['odataPath', 'text', 'creatio'],
  ['clientId', 'text', 'creatio'],
  ['clientSecret', 'secret', 'creatio'],
  ['caseOriginId', 'text', 'creatio'],
  ['caseStatusId', 'text', 'creatio'],
  ['closeProcessName', 'text', 'creatio'],
  ['oauthClientId', 'text', 'signIn'],
  ['oauthClientSecret', 'secret', 'signIn'],
  ['oauthScopes', 'text', 'signIn'],
];

/** Sample values the slot's preview fills the template with. */
const SAMPLE = { chatId: '3f2c9a4e-0000-4000-8000-000000000001', contactId: 'c5a1e2b0-0000-4000-8000-000000000002', phone: '+48600100200' };

class AdminCrm extends AdminScreen {
  async load() {
    const [{ crmConnection }, { settings }] = await Promise.all([panel.api.request(op.CRM_CONNECTION), panel.api.request(op.ADMIN_SETTINGS)]);
    return { connection: crmConnection, settings };
  }

  render({ connection, settings }) {
    return [
      header(t('admin.crm')),
      this.#connection(connection),
      settingsForm(this, [EMBEDDING], settings, (name, control) => (name === 'iframeUrlTemplate' ? this.#slotPreview(control) : null)),
    ];
  }

  #connection(connection) {
    const kind = select({ name: 'kind' }, ['LOCAL', 'CREATIO'].map((k) => ({ value: k, label: t(`admin.crm.kind.${k}`) })), connection.kind);
    const controls = FIELDS.map(([name, type, group]) => {
      const stored = type === 'secret' && connection[`has${name[0].toUpperCase()}${name.slice(1)}`];
      const control = h('input', {
        type: type === 'secret' ? 'password' : type,
        name,
        autocomplete: type === 'secret' ? 'new-password' : 'off',
        value: type === 'secret' ? '' : (connection[name] ?? ''),
        placeholder: stored ? t('admin.crm.secretStored') : '',
        maxLength: 2000,
      });
      return { name, type, group, control };
    });
    const group = (key) =>
      h(
        'fieldset',
        { class: 'settings-section', dataset: { group: key } },
        h('legend', {}, t(`admin.crm.group.${key}`)),
        controls.filter((c) => c.group === key).map((c) => [field(t(`admin.crm.${c.name}`), c.control), hintOf(c.name)]),
      );
    const creatio = h('div', { class: 'kind-fields' }, group('creatio'), group('signIn'));
    const shown = () => (creatio.hidden = kind.value !== 'CREATIO');
    kind.addEventListener('change', shown);
    shown();
    const error = h('p', { class: 'error', role: 'alert' });
    const result = h('p', { class: 'crm-test', role: 'status' });
    const test = h('button', { type: 'button', onclick: () => this.#test(result, test) }, t('admin.crm.test'));
    const form = h(
      'form',
      {
        class: 'settings-form crm-connection',
        onsubmit: async (event) => {
          event.preventDefault();
          clearRefusal(form, error);
          // Plain fields as they are (emptied ones are cleared); a secret only when typed.
          const input = { kind: kind.value };
          for (const { name, type, control } of controls) {
            const value = control.value.trim();
            if (type === 'secret' ? value !== '' : value !== (connection[name] ?? '')) input[name] = value;
          }
          try {
            await panel.api.request(op.UPDATE_CRM_CONNECTION, { input });
          } catch (e) {
            showRefusal(form, e, error);
            return;
          }
          await this.done();
        },
      },
      h('fieldset', { class: 'settings-section' }, h('legend', {}, t('admin.crm.connection')), field(t('admin.crm.kind'), kind), hintOf('kind')),
      creatio,
      h('div', { class: 'settings-actions' }, h('button', { type: 'submit', class: 'primary' }, t('admin.save')), test, error),
      result,
    );
    return form;
  }

  /** Runs the server's check of the saved connection and says what it found. */
  async #test(result, button) {
    button.disabled = true;
    mount(result, t('admin.crm.testing'));
    const found = await run(() => panel.api.request(op.TEST_CRM_CONNECTION));
    button.disabled = false;
    if (!found) {
      mount(result);
      return;
    }
    const { ok, failure, contact } = found.testCrmConnection;
    result.dataset.ok = String(ok);
    mount(result, ok ? (contact ? t('admin.crm.testOk', { name: contact.name }) : t('admin.crm.testOkEmpty')) : t('admin.crm.testFailed', { failure }));
  }

  /** The integration slot's address for a sample chat, and the page it frames. */
  #slotPreview(template) {
    const box = h('div', { class: 'slot-preview', 'aria-live': 'polite' });
    const draw = () => {
      const url = template.value.trim().replace(/\{(chatId|contactId|phone)\}/g, (_, key) => encodeURIComponent(SAMPLE[key]));
      if (!/^https?:\/\//.test(url)) {
        mount(box);
        return;
      }
      mount(
        box,
        h('p', { class: 'hint' }, t('admin.crm.slotPreview'), ' ', h('code', {}, url)),
        h('iframe', { src: url, title: t('admin.crm.slotPreviewFrame'), sandbox: 'allow-scripts allow-same-origin allow-forms allow-popups', referrerpolicy: 'no-referrer' }),
      );
    };
    template.addEventListener('input', draw);
    draw();
    return box;
  }
}

/** A field's hint, when it has one. */
function hintOf(name) {
  const key = `admin.crm.${name}.hint`;
  const hint = t(key);
  return hint === key ? null : h('p', { class: 'hint' }, hint);
}

customElements.define('op-admin-crm', AdminCrm);
