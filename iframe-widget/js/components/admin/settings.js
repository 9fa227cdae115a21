// The organization's settings (F1, K1, L1, L2, X6, X7, S2, retention): one form in sections,
// each control named after the server's field, so a refusal lands on it. Only what changed is
// sent; the server checks it all again (red after yellow, origins, content types).

import { h, field } from '../../dom.js';
import { panel, ROLES } from '../../panel.js';
import { t } from '../../i18n.js';
import * as op from '../../operations.js';
import { showRefusal, clearRefusal } from '../dialogs.js';
import { AdminScreen, header, numberInput, numberOf, checklist, ticked } from './shared.js';

const MEGABYTE = 1024 * 1024;

/** The URL templates' placeholders, shown as themselves in hints. */
const PLACEHOLDERS = Object.fromEntries(['chatId', 'contactId', 'caseId', 'phone'].map((p) => [p, `{${p}}`]));

/**
 * How each kind of setting is shown and read back: `control(name, value, limits)` makes the
 * control, `read(control)` gives the value the server takes.
 */
const KINDS = {
  bool: {
    control: (name, value) => h('input', { type: 'checkbox', name, checked: value }),
    read: (control) => control.checked,
  },
  int: {
    control: (name, value, { min, max }) => Object.assign(numberInput(name, value, { min, max }), { required: true }),
    read: numberOf,
  },
  /** A number of days where empty (0 to the server) keeps things for good. */
  daysOrForever: {
    control: (name, value, { min, max }) => numberInput(name, value, { min, max }),
    read: (control) => numberOf(control) ?? 0,
  },
  megabytes: {
    control: (name, value) => Object.assign(numberInput(name, Math.round((value / MEGABYTE) * 10) / 10, { min: 0.1, max: 100 }), { step: 0.1, required: true }),
    read: (control) => Math.round(Number(control.value) * MEGABYTE),
  },
  /** Free text; emptied, the server removes the setting. */
  text: {
    control: (name, value, { max }) => h('input', { type: 'text', name, maxLength: max, value: value ?? '' }),
    read: (control) => control.value.trim(),
  },
  /** A list, one entry per line. */
  lines: {
    control: (name, value) => h('textarea', { name, rows: 3 }, value.join('\n')),
    read: (control) => control.value.split('\n').map((line) => line.trim()).filter(Boolean),
  },
  roles: {
    control: (name, value) => checklist(name, t(`admin.settings.${name}`), ROLES.map((r) => ({ id: r, label: t(`role.${r}`) })), new Set(value)),
    read: (control) => ROLES.filter((r) => ticked(control).has(r)),
  },
};

/** The Settings screen's sections and their settings: `[field, kind, limits]`. */
const SECTIONS = [
  ['sla', [['trafficLightEnabled', 'bool'], ['yellowAfterSecs', 'int', { min: 1, max: 86400 }], ['redAfterSecs', 'int', { min: 2, max: 86400 }], ['countFromOperatorMessage', 'bool']]],
  [
    'work',
    [
      ['invitationTimeoutSecs', 'int', { min: 5, max: 600 }],
      ['awayAfterMinutes', 'int', { min: 1, max: 1440 }],
      ['afterChatWorkSecs', 'int', { min: 0, max: 3600 }],
      ['defaultMaxChats', 'int', { min: 1, max: 50 }],
      ['requeueActiveChatsOnAway', 'bool'],
      ['takeoverGreetingTemplate', 'text', { max: 500 }],
    ],
  ],
  ['privacy', [['maskingEnabled', 'bool'], ['unmaskedRoles', 'roles']]],
  ['files', [['fileMaxBytes', 'megabytes'], ['fileAllowedTypes', 'lines']]],
  [
    'retention',
    [
      ['chatRetentionDays', 'daysOrForever', { min: 0, max: 36500 }],
      ['eventRetentionDays', 'int', { min: 1, max: 3650 }],
      ['deliveryLogRetentionDays', 'int', { min: 1, max: 3650 }],
      ['receiptRetentionDays', 'int', { min: 1, max: 365 }],
      ['statusLogRetentionDays', 'int', { min: 1, max: 3650 }],
    ],
  ],
];

/**
 * A form of settings `sections` (`[key, fields]` as `SECTIONS`): Save sends what changed, and
 * the screen draws itself again; a refusal lands on the field it names. `extra(name, control)`
 * may add something under a setting (a preview).
 */
export function settingsForm(screen, sections, settings, extra = () => null) {
  const controls = [];
  const error = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary' }, t('admin.save'));
  const form = h(
    'form',
    {
      class: 'settings-form',
      onsubmit: async (event) => {
        event.preventDefault();
        clearRefusal(form, error);
        // What the administrator changed: each control read now against as it was drawn.
        const input = {};
        for (const { name, kind, control, drawn } of controls) {
          const value = KINDS[kind].read(control);
          if (JSON.stringify(value) !== drawn) input[name] = value;
        }
        if (Object.keys(input).length === 0) {
          panel.notify(t('admin.settings.unchanged'));
          return;
        }
        save.disabled = true;
        try {
          await panel.api.request(op.UPDATE_SETTINGS, { input });
          await screen.done();
        } catch (e) {
          showRefusal(form, e, error);
        } finally {
          save.disabled = false;
        }
      },
    },
    sections.map(([section, fields]) =>
      h(
        'fieldset',
        { class: 'settings-section' },
        h('legend', {}, t(`admin.settings.section.${section}`)),
        fields.map(([name, kind, limits = {}]) => {
          const control = KINDS[kind].control(name, settings[name], limits);
          controls.push({ name, kind, control, drawn: JSON.stringify(KINDS[kind].read(control)) });
          // Hints name a template's placeholders, which stay as written.
          const hint = t(`admin.settings.${name}.hint`, PLACEHOLDERS);
          const shown =
            kind === 'roles'
              ? control
              : kind === 'bool'
                ? h('label', { class: 'check' }, control, ` ${t(`admin.settings.${name}`)}`)
                : field(t(`admin.settings.${name}`), control);
          return [shown, hint === `admin.settings.${name}.hint` ? null : h('p', { class: 'hint' }, hint), extra(name, control)];
        }),
      ),
    ),
    h('div', { class: 'settings-actions' }, save, error),
  );
  return form;
}

/** The settings the CRM screen shows: how the panel sits in the CRM (L1, L2, C5). */
export const EMBEDDING = ['embedding', [['frameAncestors', 'lines'], ['crmChatUrlTemplate', 'text', { max: 2000 }], ['iframeUrlTemplate', 'text', { max: 2000 }]]];

class AdminSettings extends AdminScreen {
  async load() {
    return (await panel.api.request(op.ADMIN_SETTINGS)).settings;
  }

  render(settings) {
    return [header(t('admin.settings')), settingsForm(this, SECTIONS, settings)];
  }
}

customElements.define('op-admin-settings', AdminSettings);
