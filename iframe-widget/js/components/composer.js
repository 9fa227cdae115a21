// The composer (D4, D5, X4, X5): a live 1000-character counter, Enter to send (Shift+Enter for a
// new line), `<` and `>` refused as the server refuses them, emoji, quick replies (searched by
// name, filled for the chat, editable before sending), a file by button or by dropping it on
// the conversation (pictures previewed), whispers for colleagues, and the reply policy: when
// the channel takes only approved templates, only those can be chosen and they are sent as
// they are.

import { h, mount, debounce } from '../dom.js';
import { panel, run } from '../panel.js';
import { t } from '../i18n.js';
import * as op from '../operations.js';

export const MAX_LENGTH = 1000;
const RESERVED = /[<>]/;
const EMOJI = ['🙂', '😀', '😉', '😊', '🙏', '👍', '👌', '👋', '🎉', '❤️', '😔', '🤔', '⏳', '✅', '❗', '📦', '📞', '💳', '🚚', '⭐'];

/** Why a text cannot be sent, or null. */
export function problemWith(text) {
  if (!text.trim()) return null;
  if ([...text].length > MAX_LENGTH) return t('composer.tooLong', { max: MAX_LENGTH });
  if (RESERVED.test(text)) return t('composer.reserved');
  return null;
}

class Composer extends HTMLElement {
  connectedCallback() {
    this.quickReplyId = null;
    this.file = null;
    this.render();
  }

  disconnectedCallback() {
    if (this.file?.preview) URL.revokeObjectURL(this.file.preview);
  }

  get chat() {
    return panel.workplace.detail;
  }

  /** Whether the operator may write in the chat now. */
  writable() {
    const chat = this.chat;
    const workplace = panel.workplace;
    if (!chat || !['NEW', 'IN_PROGRESS'].includes(chat.status) || workplace.invitation(chat)) return false;
    return chat.participants.some((p) => p.operator?.id === workplace.me.id && p.state === 'JOINED') || chat.operator?.id === workplace.me.id;
  }

  render() {
    this.text = h('textarea', {
      id: 'composer-text',
      rows: '3',
      'aria-label': t('composer.label'),
      'aria-describedby': 'composer-counter composer-problem',
      placeholder: t('composer.placeholder'),
      oninput: () => this.#check(),
      onkeydown: (event) => {
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.send();
        }
      },
    });
    this.counter = h('span', { id: 'composer-counter', class: 'counter', 'aria-live': 'polite' });
    this.problem = h('span', { id: 'composer-problem', class: 'error', role: 'alert' });
    this.whisper = h('input', { type: 'checkbox', id: 'composer-whisper' });
    this.fileInput = h('input', {
      type: 'file',
      hidden: true,
      onchange: () => {
        if (this.fileInput.files[0]) this.attach(this.fileInput.files[0]);
        this.fileInput.value = '';
      },
    });
    this.sendButton = h('button', { type: 'submit', class: 'primary send' }, t('composer.send'));
    this.attachment = h('div', { class: 'attachment-chip', hidden: true });
    this.tray = h('div', { class: 'popover', hidden: true });
    mount(
      this,
      h(
        'form',
        {
          class: 'composer',
          onsubmit: (event) => {
            event.preventDefault();
            this.send();
          },
        },
        this.attachment,
        this.text,
        this.tray,
        h(
          'div',
          { class: 'composer-bar' },
          h('button', { type: 'button', class: 'icon', 'aria-label': t('composer.emoji'), title: t('composer.emoji'), onclick: () => this.#emoji() }, '🙂'),
          h('button', { type: 'button', class: 'icon quick-replies', 'aria-label': t('composer.quickReplies'), title: t('composer.quickReplies'), onclick: () => this.#quickReplies() }, '⚡'),
          h('button', { type: 'button', class: 'icon', 'aria-label': t('composer.attach'), title: t('composer.attach'), onclick: () => this.fileInput.click() }, '📎'),
          this.fileInput,
          h('label', { class: 'whisper-toggle' }, this.whisper, ' ', t('composer.whisper')),
          this.counter,
          this.sendButton,
        ),
        this.problem,
      ),
    );
    this.update();
  }

  /** Follows the chat: whether it takes messages now and what the policy allows. */
  update() {
    const chat = this.chat;
    const writable = this.writable();
    this.hidden = !chat || !writable;
    if (!this.text) return;
    const templatesOnly = Boolean(chat?.requiresTemplate);
    this.text.disabled = !writable || (!chat.canReply && !templatesOnly);
    this.text.readOnly = templatesOnly;
    this.text.placeholder = templatesOnly ? t('composer.templateOnly') : t('composer.placeholder');
    this.#check();
  }

  #check() {
    const text = this.text.value;
    const length = [...text].length;
    this.counter.textContent = `${length}/${MAX_LENGTH}`;
    this.counter.classList.toggle('over', length > MAX_LENGTH);
    const problem = problemWith(text);
    this.problem.textContent = problem ?? '';
    this.text.setAttribute('aria-invalid', String(Boolean(problem)));
    const templatesOnly = Boolean(this.chat?.requiresTemplate);
    this.sendButton.disabled =
      Boolean(problem) || this.text.disabled || (!text.trim() && !this.file) || (templatesOnly && !this.quickReplyId) || this.busy;
  }

  /** Sends the text (and the file); the file's name stands in for an empty text. */
  async send() {
    this.#check();
    if (this.sendButton.disabled) return;
    const chat = this.chat;
    const text = this.text.value.trim() || this.file?.fileName;
    this.busy = true;
    this.#check();
    const sent = await run(() =>
      panel.workplace.send(chat.id, {
        text,
        whisper: this.whisper.checked,
        quickReplyId: this.quickReplyId,
        attachmentIds: this.file ? [this.file.id] : [],
      }),
    );
    this.busy = false;
    if (sent) {
      this.text.value = '';
      this.quickReplyId = null;
      this.whisper.checked = false;
      this.#clearFile();
      this.update();
      this.text.focus();
    } else {
      this.#check();
    }
  }

  /** Uploads a file for the chat and shows it, previewed when it is a picture. */
  async attach(file) {
    const chat = this.chat;
    if (!chat || !this.writable()) return;
    mount(this.attachment, h('span', {}, t('composer.uploading', { name: file.name })));
    this.attachment.hidden = false;
    const uploaded = await run(() => panel.api.upload(chat.id, file));
    if (!uploaded) {
      this.#clearFile();
      return;
    }
    this.#clearFile();
    this.file = { ...uploaded, preview: uploaded.isImage ? URL.createObjectURL(file) : null };
    mount(
      this.attachment,
      this.file.preview ? h('img', { src: this.file.preview, alt: uploaded.fileName }) : h('span', {}, '📎'),
      h('span', { class: 'file-name' }, uploaded.fileName),
      h('button', { type: 'button', class: 'link', 'aria-label': t('composer.removeFile'), onclick: () => this.#clearFile() }, '×'),
    );
    this.attachment.hidden = false;
    this.#check();
  }

  #clearFile() {
    if (this.file?.preview) URL.revokeObjectURL(this.file.preview);
    this.file = null;
    this.attachment.hidden = true;
    mount(this.attachment);
    this.#check();
  }

  #insert(value) {
    const { selectionStart: start, selectionEnd: end } = this.text;
    this.text.setRangeText(value, start, end, 'end');
    this.text.focus();
    this.#check();
  }

  #emoji() {
    this.#toggle(
      'emoji',
      h(
        'div',
        { class: 'emoji-grid', role: 'group', 'aria-label': t('composer.emoji') },
        EMOJI.map((e) => h('button', { type: 'button', 'aria-label': e, onclick: () => { this.#insert(e); this.#close(); } }, e)),
      ),
    );
  }

  /** Quick replies, searched by name; the chosen one is filled for the chat and may be edited. */
  #quickReplies() {
    const chat = this.chat;
    const search = h('input', { type: 'search', 'aria-label': t('composer.searchQuickReplies'), placeholder: t('composer.searchQuickReplies') });
    const list = h('ul', { class: 'quick-list', role: 'listbox', 'aria-label': t('composer.quickReplies') });
    let asked = 0;
    let shown = null;
    const load = async () => {
      const mine = ++asked;
      const found = await run(() => panel.api.request(op.QUICK_REPLIES, { search: search.value || null, chatId: chat.id }));
      // An older answer arriving late, or the same list again, leaves the list alone.
      if (!found || mine !== asked) return;
      const templatesOnly = chat.requiresTemplate;
      const offered = found.quickReplies.filter((q) => !templatesOnly || q.approvedTemplate);
      const key = offered.map((q) => q.id).join();
      if (key === shown) return;
      shown = key;
      mount(
        list,
        offered.length
          ? offered.map((q) =>
              h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    role: 'option',
                    onclick: () => {
                      this.text.value = q.filledText;
                      this.quickReplyId = q.id;
                      this.text.readOnly = templatesOnly;
                      this.#close();
                      this.text.focus();
                      this.#check();
                    },
                  },
                  h('strong', {}, q.name),
                  h('span', {}, q.filledText),
                ),
              ),
            )
          : h('li', { class: 'empty' }, t('composer.noQuickReplies')),
      );
    };
    search.addEventListener('input', debounce(load, 200));
    search.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        list.querySelector('button')?.click();
      }
    });
    this.#toggle('quick', h('div', {}, search, list));
    search.focus();
    load();
  }

  #toggle(kind, content) {
    if (!this.tray.hidden && this.tray.dataset.kind === kind) {
      this.#close();
      return;
    }
    this.tray.dataset.kind = kind;
    mount(this.tray, content);
    this.tray.hidden = false;
    this.tray.onkeydown = (event) => {
      if (event.key === 'Escape') {
        this.#close();
        this.text.focus();
      }
    };
  }

  #close() {
    this.tray.hidden = true;
    mount(this.tray);
  }
}

customElements.define('op-composer', Composer);
