// The side panel (D3, D8-D10, E3, H): the chat's card (from, to, source, queue, times, status,
// who closed it), the customer with copy and manual identification, the CRM links with
// "create case" and "consult on an existing case", topic and subtopic, tags, the bot's
// variables, notes, previous chats, files and every responsible operator.

import { h, mount, select, field } from '../dom.js';
import { panel, run, supervises, accepted } from '../panel.js';
import { t, locale } from '../i18n.js';
import { clockTime } from '../clock.js';
import * as op from '../operations.js';
import { WorkplaceElement } from './base.js';
import { attachment } from './conversation.js';

/** The CRM records a chat may be linked to, and the `linkChat` field of each. */
const LINKABLE = { contact: 'contactId', account: 'accountId', activity: 'activityId', case: 'caseId' };

class Details extends WorkplaceElement {
  static watches = ['open', 'detail'];

  render() {
    const chat = panel.workplace.detail;
    // What is being typed survives a redraw (a chat's change arrives while writing a note).
    const typed = new Map([...this.querySelectorAll('[name]')].filter((e) => 'value' in e).map((e) => [e.name, e.value]));
    const focused = this.contains(document.activeElement) ? document.activeElement.name : null;
    if (!chat) {
      mount(this);
      return;
    }
    this.setAttribute('role', 'complementary');
    this.setAttribute('aria-label', t('details.label'));
    mount(
      this,
      h('button', {
        type: 'button',
        class: 'link details-close',
        'aria-label': t('details.hide'),
        onclick: () => document.querySelector('op-app')?.classList.remove('details-open'),
      }, '×'),
      section(t('details.chat'), this.#card(chat)),
      section(t('details.customer'), this.#customer(chat)),
      section(t('details.crm'), this.#crm(chat)),
      section(t('details.classification'), this.#classification(chat)),
      chat.variables?.length ? section(t('details.variables'), definitions(chat.variables.map((v) => [v.key, v.value]))) : null,
      section(t('details.notes'), this.#notes(chat)),
      chat.previousChats?.length ? section(t('details.previous'), this.#previous(chat)) : null,
      chat.attachments?.length ? section(t('details.files'), h('div', { class: 'files' }, chat.attachments.map(attachment))) : null,
      chat.responsibleHistory?.length ? section(t('details.history'), this.#history(chat)) : null,
    );
    for (const element of this.querySelectorAll('[name]')) {
      if (typed.has(element.name) && element.type !== 'hidden' && !element.matches('select')) element.value = typed.get(element.name);
    }
    if (focused) this.querySelector(`[name="${CSS.escape(focused)}"]`)?.focus();
  }

  /** Whether the caller works this chat now (and so may change it). */
  #editable(chat) {
    return chat.operator?.id === panel.workplace.me.id && accepted(chat);
  }

  #card(chat) {
    const time = (iso) => (iso ? clockTime(iso, locale()) : '—');
    return definitions([
      [t('details.from'), chat.customer.displayName],
      [t('details.to'), chat.operator?.firstName ?? '—'],
      [t('details.source'), t(`source.${chat.source}`)],
      [t('details.queue'), chat.queue?.name ?? '—'],
      [t('details.created'), time(chat.createdAt)],
      [t('details.accepted'), time(chat.acceptedAt)],
      [t('details.closed'), time(chat.closedAt)],
      [t('details.status'), t(`chatStatus.${chat.status}`)],
      chat.closedBy || chat.closedByKind ? [t('details.closedBy'), chat.closedBy ? [chat.closedBy.firstName, chat.closedBy.lastName].filter(Boolean).join(' ') : t(`closedBy.${chat.closedByKind}`)] : null,
      chat.wrapUpReason ? [t('close.reason'), chat.wrapUpReason.name] : null,
      chat.result ? [t('close.result'), [chat.result.name, chat.resultDetail].filter(Boolean).join(': ')] : null,
      chat.rating ? [t('details.rating'), `${'★'.repeat(chat.rating)}${'☆'.repeat(5 - chat.rating)}${chat.ratingComment ? ` ${chat.ratingComment}` : ''}`] : null,
    ]);
  }

  #customer(chat) {
    const customer = chat.customer;
    const copy = (value) =>
      h('button', {
        type: 'button',
        class: 'link copy',
        'aria-label': t('details.copy', { value }),
        onclick: async (event) => {
          await navigator.clipboard?.writeText(value).catch(() => {});
          event.target.textContent = t('details.copied');
        },
      }, t('details.copyShort'));
    const rows = definitions([
      [t('details.name'), customer.name ?? customer.displayName],
      customer.phone ? [t('details.phone'), [customer.phone, ' ', copy(customer.phone)]] : null,
      customer.email ? [t('details.email'), [customer.email, ' ', copy(customer.email)]] : null,
      customer.description ? [t('details.description'), h('span', { class: 'description' }, customer.description)] : null,
    ]);
    // As the server allows: the operator working the chat, or a supervisor while it is open.
    const describes = this.#editable(chat) || (accepted(chat) && supervises(panel.workplace.me.role));
    const description = h('textarea', { name: 'customerDescription', rows: '2', maxlength: '1000', value: customer.description ?? '' });
    const describe = describes
      ? h(
          'details',
          { class: 'describe' },
          h('summary', {}, t('details.describe')),
          form(t('details.saveDescription'), async () => {
            await panel.workplace.act(op.DESCRIBE_CUSTOMER, { chatId: chat.id, description: description.value.trim() || null });
          }, [field(t('details.description'), description)]),
        )
      : null;
    if (!this.#editable(chat)) return [rows, describe];
    const name = h('input', { name: 'identifyName', autocomplete: 'off' });
    const phone = h('input', { name: 'identifyPhone', type: 'tel', autocomplete: 'off' });
    const email = h('input', { name: 'identifyEmail', type: 'email', autocomplete: 'off' });
    return [
      rows,
      describe,
      h(
        'details',
        { class: 'identify' },
        h('summary', {}, t('details.identify')),
        form(t('details.identifySubmit'), async () => {
          await panel.workplace.act(op.IDENTIFY, {
            chatId: chat.id,
            name: name.value.trim() || null,
            phone: phone.value.trim() || null,
            email: email.value.trim() || null,
          });
        }, [field(t('details.name'), name), field(t('details.phone'), phone), field(t('details.email'), email)]),
      ),
    ];
  }

  #crm(chat) {
    const editable = this.#editable(chat);
    const record = panel.crmRecord;
    const open = (kind, id) => h('button', { type: 'button', class: 'link', onclick: () => panel.host.openRecord(kind, id) }, t('details.openInCrm'));
    const subject = h('input', { name: 'caseSubject', autocomplete: 'off', value: `${chat.title}: ${chat.topic?.name ?? chat.customer.displayName}` });
    const activityTitle = h('input', { name: 'title', autocomplete: 'off', maxLength: 200, value: chat.title });
    const cases = h('ul', { class: 'cases' });
    return [
      definitions([
        [t('details.contact'), chat.contactId ? [chat.contactId, ' ', open('contact', chat.contactId)] : '—'],
        [t('details.account'), chat.accountId ? [chat.accountId, ' ', open('account', chat.accountId)] : '—'],
        [t('details.activity'), chat.activityId ? [chat.activityId, ' ', open('activity', chat.activityId)] : '—'],
        [t('details.case'), chat.caseId ? [chat.caseNumber ?? chat.caseId, ' ', open('case', chat.caseId)] : '—'],
      ]),
      // What the CRM has open may be linked to the chat (each is checked in the CRM first).
      editable && record && LINKABLE[record.kind]
        ? h(
            'p',
            { class: 'crm-record' },
            t('details.crmShows', { kind: t(`record.${record.kind}`), title: record.title ?? record.id }),
            ' ',
            h('button', {
              type: 'button',
              onclick: () => run(() => panel.workplace.act(op.LINK, { chatId: chat.id, [LINKABLE[record.kind]]: record.id })),
            }, t('details.linkRecord')),
          )
        : null,
      editable && !chat.activityId
        ? h(
            'details',
            { class: 'create-activity' },
            h('summary', {}, t('details.createActivity')),
            form(t('details.createCaseSubmit'), async () => {
              await panel.workplace.act(op.CREATE_ACTIVITY, { chatId: chat.id, title: activityTitle.value.trim() || null });
            }, [field(t('details.activityTitle'), activityTitle)]),
          )
        : null,
      editable && !chat.caseId
        ? h(
            'details',
            { class: 'create-case' },
            h('summary', {}, t('details.createCase')),
            form(t('details.createCaseSubmit'), async () => {
              await panel.workplace.act(op.CREATE_CASE, { chatId: chat.id, subject: subject.value.trim() });
            }, [field(t('details.subject'), subject)]),
          )
        : null,
      editable && chat.contactId && !chat.caseId
        ? h(
            'details',
            {
              class: 'consult',
              ontoggle: async (event) => {
                if (!event.target.open) return;
                const found = await run(() => panel.api.request(op.CRM_CASES, { contactId: chat.contactId }));
                if (!found) return;
                mount(
                  cases,
                  found.crmCases.length
                    ? found.crmCases.map((c) =>
                        h('li', {}, h('span', {}, `${c.number} · ${c.subject}${c.status ? ` (${c.status})` : ''}`), ' ',
                          h('button', { type: 'button', onclick: () => run(() => panel.workplace.act(op.LINK, { chatId: chat.id, caseId: c.id })) }, t('details.consult'))))
                    : h('li', { class: 'empty' }, t('details.noCases')),
                );
              },
            },
            h('summary', {}, t('details.consultExisting')),
            cases,
          )
        : null,
    ];
  }

  #classification(chat) {
    const editable = this.#editable(chat);
    const topic = [chat.topic?.name, chat.subtopic?.name].filter(Boolean).join(' › ') || '—';
    const tags = chat.tags ?? [];
    if (!editable) return definitions([[t('details.topic'), topic], [t('details.tags'), tags.join(', ') || '—']]);
    const topics = h('div', { class: 'topic-pickers' }, t('loading'));
    run(async () => {
      const { topics: all } = await panel.workplace.loadDictionaries();
      const parent = select(
        { name: 'topicId', 'aria-label': t('details.topic') },
        [{ value: '', label: '—' }, ...all.map((x) => ({ value: x.id, label: x.name }))],
        chat.topic?.id ?? '',
      );
      const subs = (all.find((x) => x.id === parent.value)?.subtopics ?? []).map((x) => ({ value: x.id, label: x.name }));
      const child = select({ name: 'subtopicId', 'aria-label': t('details.subtopic'), disabled: !subs.length }, [{ value: '', label: '—' }, ...subs], chat.subtopic?.id ?? '');
      const save = (subtopicId) =>
        run(() => panel.workplace.act(op.SET_TOPIC, { chatId: chat.id, topicId: parent.value || null, subtopicId }));
      parent.addEventListener('change', () => save(null));
      child.addEventListener('change', () => save(child.value || null));
      mount(topics, field(t('details.topic'), parent), field(t('details.subtopic'), child));
    });
    const tagInput = h('input', { name: 'tags', value: tags.join(', '), autocomplete: 'off' });
    return [
      topics,
      form(t('details.saveTags'), async () => {
        const next = [...new Set(tagInput.value.split(',').map((x) => x.trim()).filter(Boolean))];
        await panel.workplace.act(op.SET_TAGS, { chatId: chat.id, tags: next });
      }, [field(t('details.tags'), tagInput)]),
    ];
  }

  #notes(chat) {
    const notes = chat.notes ?? [];
    const text = h('textarea', { name: 'noteText', rows: '2', maxlength: '1000' });
    const editable = this.#editable(chat);
    return [
      notes.length
        ? h('ul', { class: 'notes' }, notes.map((n) => h('li', { dataset: { noteId: n.id } }, this.#note(chat, n, editable))))
        : h('p', { class: 'empty' }, t('details.noNotes')),
      editable
        ? form(t('details.addNote'), async () => {
            await panel.workplace.act(op.ADD_NOTE, { chatId: chat.id, text: text.value });
            text.value = '';
          }, [field(t('details.note'), text)])
        : null,
    ];
  }

  /** A note; its author may edit it while working the chat (the server allows no more). */
  #note(chat, note, editable) {
    const edited = note.updatedAt && note.updatedAt !== note.createdAt ? ` · ${t('details.edited')}` : '';
    const byline = h('small', {}, `${note.author?.firstName ?? ''} · ${clockTime(note.createdAt, locale())}${edited}`);
    const mine = editable && note.author?.id === panel.workplace.me.id;
    if (mine && this.editingNote === note.id) {
      const text = h('textarea', { name: `noteEdit-${note.id}`, rows: '2', maxlength: '1000', value: note.text });
      return form(t('details.saveNote'), async () => {
        await panel.workplace.act(op.UPDATE_NOTE, { noteId: note.id, text: text.value }, { chatId: chat.id });
        this.editingNote = null;
        this.render();
      }, [field(t('details.note'), text)]);
    }
    const edit = () => {
      this.editingNote = note.id;
      this.render();
      this.querySelector(`[name="noteEdit-${note.id}"]`)?.focus();
    };
    return [h('p', {}, note.text), byline, mine ? h('button', { type: 'button', class: 'link', onclick: edit }, t('details.editNote')) : null];
  }

  #previous(chat) {
    return h(
      'ul',
      { class: 'previous' },
      chat.previousChats.map((c) =>
        h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => run(() => panel.workplace.open(c.id)) },
          `${c.title} · ${clockTime(c.createdAt, locale())} · ${t(`chatStatus.${c.status}`)}`),
          c.lastMessage ? h('small', {}, c.lastMessage) : null),
      ),
    );
  }

  #history(chat) {
    return h(
      'ol',
      { class: 'history' },
      chat.responsibleHistory.map((r) =>
        h('li', {}, `${r.operator?.firstName ?? r.queue?.name ?? '—'} · ${t(`assignment.${r.kind}`)} · ${clockTime(r.startedAt, locale())}${r.endedAt ? ` – ${clockTime(r.endedAt, locale())}` : ''}`),
      ),
    );
  }
}

function section(title, content) {
  return h('section', {}, h('h3', {}, title), content);
}

/** A definition list of `[term, value]` rows (rows may be null). */
function definitions(rows) {
  return h('dl', {}, rows.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** A small form whose submit runs `action`, showing a refusal under it. */
function form(submitLabel, action, fields) {
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, submitLabel);
  return h(
    'form',
    {
      class: 'inline-form',
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        error.textContent = '';
        try {
          await action();
        } catch (e) {
          error.textContent = e.message;
        } finally {
          button.disabled = false;
        }
      },
    },
    fields,
    button,
    error,
  );
}

customElements.define('op-details', Details);
