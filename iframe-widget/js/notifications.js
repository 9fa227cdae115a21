// Desktop notifications (the browser's Notification API): an invitation, or a customer's new
// message in a chat that is not on screen, reaches an operator who is looking at the CRM or
// another window. Permission is asked once, when the operator first goes READY; the text is
// what the panel shows (the server masks what the organization masks), cut short.

import { t } from './i18n.js';
import { serverNow } from './clock.js';

/** Events older than this are caught up after a reconnect, not news. */
const FRESH_MS = 60_000;

const BODY_CHARS = 120;

function supported() {
  return typeof window.Notification === 'function';
}

/** Asks for permission if the operator has not been asked yet. */
export function askOnce() {
  if (supported() && Notification.permission === 'default') {
    Notification.requestPermission().catch(() => {});
  }
}

/** Whether the operator would not see a change in the panel now. */
function unseen(chatOnScreen) {
  return document.visibilityState !== 'visible' || !document.hasFocus() || !chatOnScreen;
}

/**
 * Shows a notification if permitted and the event is fresh; `onOpen` runs when the operator
 * clicks it. One per chat at a time (`tag`): a newer one replaces the older.
 */
function show({ title, body, chatId, at, onOpen }) {
  if (!supported() || Notification.permission !== 'granted') return;
  if (at && serverNow() - Date.parse(at) > FRESH_MS) return;
  const text = body && body.length > BODY_CHARS ? `${body.slice(0, BODY_CHARS - 1)}…` : body;
  const notification = new Notification(title, { body: text, tag: `omnipanel-${chatId}` });
  notification.onclick = () => {
    window.focus();
    onOpen?.();
    notification.close?.();
  };
}

/** An invitation (or a conference invitation) for the operator. */
export function invitation(chat, at, onOpen) {
  if (!chat) return;
  show({ title: t('notify.invitation'), body: chat.title, chatId: chat.id, at, onOpen });
}

/** A customer's message in `chat`; shown only when that chat is not what the operator sees. */
export function message(chat, text, at, chatOnScreen, onOpen) {
  if (!chat || !unseen(chatOnScreen)) return;
  show({ title: t('notify.message', { title: chat.title }), body: text, chatId: chat.id, at, onOpen });
}
