// What every chat card begins with, in the lists and in History: the title, the channel and
// when the chat began.

import { h } from '../dom.js';
import { t, locale } from '../i18n.js';
import { clockTime } from '../clock.js';

/** A card's first line. */
export function cardHead(chat) {
  return h(
    'span',
    { class: 'card-head' },
    h('span', { class: 'title' }, chat.title),
    h('span', { class: 'source' }, t(`source.${chat.source}`)),
    h('time', { class: 'time', datetime: chat.createdAt }, clockTime(chat.createdAt, locale())),
  );
}

/** A card's topic line: the topic and subtopic, or nothing. */
export function topicOf(chat) {
  const topic = [chat.topic?.name, chat.subtopic?.name].filter(Boolean).join(' › ');
  return topic ? h('span', { class: 'topic' }, topic) : null;
}
