// The operator's workplace as the panel knows it: the operator, their chats, the open chat's
// conversation, kept current by the `workplaceEvents` stream, the `queueEvents` of their
// queues' "Unassigned" lists (and the open chat's `chatEvents`). Components read it and listen to its `change` events; they change the world
// only through its methods, which call the API and fold the answers back in.

import { Live } from './live.js';
import * as notifications from './notifications.js';
import * as op from './operations.js';
import { syncServerTime } from './clock.js';

/** How many closed chats the Closed list keeps (D2). */
const CLOSED_KEPT = 10;
/** How many messages a conversation opens with (its last ones); earlier pages come on request. */
const LAST_PAGE = 50;
/** Report activity (the AWAY timer) at most this often. */
const ACTIVITY_EVERY_MS = 60_000;
/** How many times in a row the open chat is read again when a newer state overtook the answer. */
const STALE_READS = 3;
/** Chat statuses in which the chat is in someone's hands. */
const OPEN = new Set(['INVITED', 'NEW', 'IN_PROGRESS']);

export class Workplace extends EventTarget {
  constructor(api) {
    super();
    this.api = api;
    this.reset();
  }

  reset() {
    this.me = null;
    this.customStatuses = [];
    this.seq = 0;
    this.chats = new Map();
    this.unassignedIds = new Set();
    this.botIds = new Set();
    // While the queues' lists are being read: the queue events that came meanwhile, applied
    // again on top of the answer (it may have been read before them).
    this.queueEventsMeanwhile = null;
    this.closedIds = [];
    this.unread = new Map();
    this.openId = null;
    this.detail = null;
    // How many times the open chat changed under us (events, answers): a detail read that
    // started before the last change is older than what we show, and is read again.
    this.openChanges = 0;
    this.staleReads = 0;
    this.conversations = new Map();
    this.dictionaries = null;
    this.connection = 'offline';
    this.statusBeforeAway = 'READY';
    this.lastActivity = 0;
  }

  // ---- Life cycle -----------------------------------------------------------------------

  /** Loads the workplace for a session and starts following it. */
  async start(token) {
    this.api.token = token;
    const boot = await this.api.request(op.BOOT);
    syncServerTime(boot.serverTime);
    this.seq = boot.workplaceEventSeq;
    this.customStatuses = boot.customStatuses;
    this.#setMe(boot.me);
    await this.#loadLists();
    this.live = new Live({
      token: () => this.api.token,
      onConnected: () => this.#catchUp(),
      onRejected: () => this.api.onSignedOut?.(),
    });
    this.live.addEventListener('state', (event) => {
      this.connection = event.detail;
      this.#emit('connection');
    });
    this.live.subscribe(
      op.WORKPLACE_EVENTS,
      () => ({ after: this.seq }),
      (payload) => payload.data && this.#apply(payload.data.workplaceEvents),
      (errors) => this.#notice(errors?.[0]?.message),
    );
    this.live.subscribe(
      op.QUEUE_EVENTS,
      () => ({}),
      (payload) => payload.data && this.#applyQueueEvent(payload.data.queueEvents),
      (errors) => this.#notice(errors?.[0]?.message),
    );
    this.live.start();
  }

  stop() {
    this.live?.stop();
    this.live = null;
    this.api.token = null;
    this.reset();
    this.#emit('all');
  }

  /** What was missed while disconnected, then the lists again when too much was missed. */
  async #catchUp() {
    for (;;) {
      const { workplaceEventsSince: events, serverTime } = await this.api.request(op.EVENTS_SINCE, { after: this.seq });
      syncServerTime(serverTime);
      events.forEach((event) => this.#apply(event));
      if (events.length < 500) break;
    }
    if (this.openId) {
      this.#syncMessages(this.openId);
      this.#reloadDetail();
    }
  }

  async #loadLists() {
    const lists = await this.api.request(op.LISTS);
    syncServerTime(lists.serverTime);
    for (const chat of [...lists.active, ...lists.closed]) this.chats.set(chat.id, chat);
    this.closedIds = lists.closed.map((c) => c.id);
    this.#setQueueLists(lists);
    this.#emit('lists');
  }

  /** The "Unassigned" lists as read: waiting chats (`unassigned`) and the bot's (`withBot`). */
  #setQueueLists({ unassigned, withBot }) {
    for (const chat of [...unassigned.nodes, ...withBot.nodes]) this.chats.set(chat.id, chat);
    this.unassignedIds = new Set(unassigned.nodes.map((c) => c.id));
    this.botIds = new Set(withBot.nodes.map((c) => c.id));
  }

  /** The queues' lists again: the queues followed changed, or `queueEvents` (re)started. */
  async #loadQueueLists() {
    const meanwhile = [];
    this.queueEventsMeanwhile = meanwhile;
    let lists;
    try {
      lists = await this.api.request(op.QUEUE_LISTS);
    } catch (error) {
      if (this.queueEventsMeanwhile === meanwhile) this.queueEventsMeanwhile = null;
      this.#notice(error.message);
      return;
    }
    // A later read is under way: its answer counts.
    if (this.queueEventsMeanwhile !== meanwhile) return;
    this.queueEventsMeanwhile = null;
    this.#setQueueLists(lists);
    meanwhile.forEach((event) => this.#queueListsAfter(event));
    this.#emit('lists');
  }

  // ---- Events ---------------------------------------------------------------------------

  /** A chat that started or stopped waiting in one of the operator's queues (`queueEvents`). */
  #applyQueueEvent(event) {
    if (!event) return;
    if (event.kind === 'QUEUES_CHANGED') {
      this.#loadQueueLists();
      return;
    }
    this.queueEventsMeanwhile?.push(event);
    this.#queueListsAfter(event);
    if (event.chat) {
      this.#upsertChat(event.chat);
    } else if (!this.isActive(this.chats.get(event.chatId) ?? {})) {
      // No longer visible to us (taken by someone else).
      this.chats.delete(event.chatId);
    }
    if (event.chatId === this.openId) this.#reloadDetail();
    this.#emit('lists');
  }

  /** The "Unassigned" lists after a queue event. */
  #queueListsAfter(event) {
    const id = event.chatId;
    if (event.kind === 'CHAT_QUEUED') this.unassignedIds.add(id);
    if (event.kind === 'CHAT_WITH_BOT') this.botIds.add(id);
    if (event.kind === 'CHAT_DEQUEUED' || !event.chat) {
      this.unassignedIds.delete(id);
      this.botIds.delete(id);
    }
  }

  #apply(event) {
    if (!event || event.seq <= this.seq) return;
    this.seq = event.seq;
    syncServerTime(event.createdAt, { onlyForward: true });
    const id = event.chatId;
    switch (event.kind) {
      case 'OPERATOR_UPDATED':
      case 'CHAT_INVITED':
      case 'CHAT_ASSIGNED':
      case 'CHAT_UNASSIGNED':
      case 'INVITATION_WITHDRAWN':
        // The status, or the load against the limit, changed.
        this.refreshMe();
        break;
      case 'MESSAGE_CREATED':
        if (id !== this.openId && event.payload?.authorKind === 'CUSTOMER') {
          this.unread.set(id, (this.unread.get(id) ?? 0) + 1);
        }
        break;
      default:
        break;
    }
    if (event.chat) {
      this.#upsertChat(event.chat);
    } else if (id && this.chats.has(id)) {
      // No longer visible to us (withdrawn, taken by someone else).
      this.chats.delete(id);
      this.unassignedIds.delete(id);
      this.botIds.delete(id);
    }
    if (event.message) this.#upsertMessage(event.message);
    if (id === this.openId && !event.kind.startsWith('MESSAGE')) this.#reloadDetail();
    this.#emit('lists');
    if (event.kind === 'CHAT_INVITED' || event.kind === 'CONFERENCE_INVITED') {
      this.dispatchEvent(new CustomEvent('invited', { detail: event.chat }));
      notifications.invitation(event.chat, event.createdAt, () => this.open(event.chat.id));
    }
    if (event.kind === 'MESSAGE_CREATED' && event.payload?.authorKind === 'CUSTOMER' && event.chat) {
      notifications.message(event.chat, event.message?.text, event.createdAt, id === this.openId, () => this.open(id));
    }
  }

  #upsertChat(chat) {
    const before = this.chats.get(chat.id);
    this.chats.set(chat.id, chat);
    if (chat.status !== 'QUEUED') this.unassignedIds.delete(chat.id);
    if (chat.status !== 'BOT') this.botIds.delete(chat.id);
    if (before && this.isActive(before) && !this.isActive(chat) && chat.status === 'COMPLETED') {
      this.closedIds = [chat.id, ...this.closedIds.filter((id) => id !== chat.id)].slice(0, CLOSED_KEPT);
    }
    if (chat.id === this.openId) this.openChanges += 1;
    if (chat.id === this.openId && this.detail) {
      this.detail = { ...this.detail, ...chat };
      this.#emit('detail');
    }
  }

  // ---- Lists ----------------------------------------------------------------------------

  /** Whether the chat is in the operator's hands: theirs, offered to them, or a conference. */
  isActive(chat) {
    if (!this.me || !OPEN.has(chat.status)) return false;
    if (chat.operator?.id === this.me.id) return true;
    return chat.participants.some((p) => p.operator?.id === this.me.id && p.state !== 'LEFT');
  }

  /** The operator's invitation to this chat, if any (routed or a conference). */
  invitation(chat) {
    if (chat.status === 'INVITED' && chat.operator?.id === this.me?.id) return 'CHAT';
    // One who left and was invited again has both entries: the live one counts.
    const mine = chat.participants.find((p) => p.operator?.id === this.me?.id && p.state !== 'LEFT');
    return mine?.role === 'CONFERENCE' && mine.state === 'INVITED' ? 'CONFERENCE' : null;
  }

  /** Invitations first, then whoever has waited longest, then the latest. */
  activeChats() {
    const rank = (c) => (this.invitation(c) ? 0 : c.waitingSince ? 1 : 2);
    const time = (c) => Date.parse(c.waitingSince ?? c.invitationExpiresAt ?? 0);
    return [...this.chats.values()]
      .filter((c) => this.isActive(c))
      .sort((a, b) => rank(a) - rank(b) || time(a) - time(b) || Date.parse(b.lastMessageAt ?? b.createdAt) - Date.parse(a.lastMessageAt ?? a.createdAt));
  }

  closedChats() {
    return this.closedIds.map((id) => this.chats.get(id)).filter(Boolean);
  }

  /** Waiting chats of the operator's queues, by arrival: the head of the queue first, or last. */
  unassignedChats({ newestFirst = false } = {}) {
    const arrived = (c) => Date.parse(c.queuedAt ?? c.createdAt);
    return [...this.unassignedIds]
      .map((id) => this.chats.get(id))
      .filter((c) => c?.status === 'QUEUED')
      .sort((a, b) => (newestFirst ? arrived(b) - arrived(a) : arrived(a) - arrived(b)));
  }

  /** Chats the bot has in the operator's queues, newest first: they may be taken over (D1). */
  botChats() {
    return [...this.botIds]
      .map((id) => this.chats.get(id))
      .filter((c) => c?.status === 'BOT')
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  }

  invitationCount() {
    return this.activeChats().filter((c) => this.invitation(c)).length;
  }

  // ---- The open chat --------------------------------------------------------------------

  /** Opens a chat in the conversation view and follows it. */
  async open(id) {
    if (this.openId === id) return;
    this.unfollow?.();
    this.openId = id;
    this.detail = this.chats.get(id) ?? null;
    this.staleReads = 0;
    this.chatSeq = null;
    this.unread.delete(id);
    this.#emit('open');
    this.#emit('lists');
    this.unfollow = this.live?.subscribe(
      op.CHAT_EVENTS,
      () => ({ chatId: id, after: this.chatSeq }),
      (payload) => this.#applyChatEvent(id, payload.data?.chatEvents),
    );
    await Promise.all([this.#reloadDetail(), this.#syncMessages(id)]);
  }

  /** Leaves the conversation view. */
  closeView() {
    this.unfollow?.();
    this.unfollow = null;
    this.openId = null;
    this.detail = null;
    this.#emit('open');
  }

  #applyChatEvent(id, event) {
    if (!event || id !== this.openId) return;
    this.chatSeq = event.seq;
    if (event.chat) this.#upsertChat(event.chat);
    if (event.message) this.#upsertMessage(event.message);
    if (event.kind === 'MESSAGE_CREATED') this.#syncMessages(id);
    else if (event.kind !== 'MESSAGE_UPDATED') this.#reloadDetail();
    this.#emit('lists');
  }

  /** The open chat's full details, again (coalesced: one load at a time, one more after). */
  #reloadDetail() {
    return this.#coalesce('detail', async () => {
      const id = this.openId;
      if (!id) return;
      const asked = this.openChanges;
      const { chat } = await this.api.request(op.CHAT, { id });
      if (id !== this.openId) return;
      if (!chat) {
        this.closeView();
        return;
      }
      // A newer state of the chat arrived while this answer was on its way (a colleague joined,
      // say): it would show the older one. Read again instead (a few times at most: a chat
      // changing faster than it can be read still shows, and events keep its card fresh).
      if (this.openChanges !== asked && this.staleReads < STALE_READS) {
        this.staleReads += 1;
        this.#reloadDetail();
        return;
      }
      this.staleReads = 0;
      this.chats.set(id, { ...(this.chats.get(id) ?? {}), ...chat });
      this.detail = chat;
      this.#emit('detail');
    });
  }

  /** Messages of a chat, oldest first (in the server's order where their times are equal). */
  messages(chatId) {
    const conversation = this.conversations.get(chatId);
    if (!conversation) return [];
    const place = (m) => conversation.order.get(m.id) ?? 0;
    return [...conversation.byId.values()].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || place(a) - place(b));
  }

  /** Whether a chat's conversation has messages before the first one loaded. */
  hasEarlier(chatId) {
    return Boolean(this.conversations.get(chatId)?.hasEarlier);
  }

  /**
   * Fetches what came after the last message we have (coalesced per chat). A conversation is
   * first read from its end, one page: a long chat is never loaded whole; earlier pages come
   * when asked for (`loadEarlier`).
   */
  #syncMessages(chatId) {
    if (!this.conversations.has(chatId)) {
      // `order` numbers messages as the server ordered them: later pages up, earlier ones down.
      this.conversations.set(chatId, { byId: new Map(), order: new Map(), high: 0, low: 0, cursor: null, start: null, hasEarlier: false });
    }
    return this.#coalesce(`messages:${chatId}`, async () => {
      const conversation = this.conversations.get(chatId);
      // A page is read at one moment; an event that arrives while it is on its way is newer
      // than what the page says of that message (a delivery's SENT after the page's QUEUED).
      conversation.heard = new Set();
      try {
        let more = true;
        while (more) {
          const fromEnd = conversation.cursor === null;
          const page = fromEnd ? { last: LAST_PAGE } : { first: 100, after: conversation.cursor };
          const { chat } = await this.api.request(op.MESSAGES, { id: chatId, ...page });
          if (!chat) return;
          this.#keep(conversation, chat.messages.edges);
          const info = chat.messages.pageInfo;
          conversation.cursor = info.endCursor ?? conversation.cursor;
          if (fromEnd) {
            conversation.start = info.startCursor;
            conversation.hasEarlier = info.hasPreviousPage;
          }
          more = !fromEnd && info.hasNextPage;
        }
      } finally {
        conversation.heard = null;
      }
      this.#emit('messages', chatId);
    });
  }

  /**
   * Loads the page before the first message we have, or, with `since` (an instant), every
   * message from then up to it: a jump to a date. Resolves once they are in.
   */
  loadEarlier(chatId, since = null) {
    return this.#coalesce(`earlier:${chatId}`, async () => {
      const conversation = this.conversations.get(chatId);
      if (!conversation?.start) return;
      let more = true;
      while (more) {
        const { chat } = await this.api.request(op.MESSAGES, { id: chatId, last: 100, before: conversation.start, from: since });
        if (!chat) return;
        this.#keep(conversation, chat.messages.edges, { earlier: true });
        const info = chat.messages.pageInfo;
        conversation.start = info.startCursor ?? conversation.start;
        // Bounded by a date, what lies before it is unknown until asked: offer it.
        conversation.hasEarlier = since ? true : info.hasPreviousPage;
        more = Boolean(since) && info.hasPreviousPage;
      }
      this.#emit('messages', chatId);
    });
  }

  /** The days a chat has messages on, as YYYY-MM-DD in the panel's time zone. */
  async messageDays(chatId) {
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const { chat } = await this.api.request(op.MESSAGE_DAYS, { id: chatId, timeZone });
    return chat?.messageDays ?? [];
  }

  /**
   * Keeps a page's messages (oldest first), except those an event told us newer news of
   * meanwhile; `earlier` pages come before everything kept so far.
   */
  #keep(conversation, edges, { earlier = false } = {}) {
    const fresh = edges.filter(({ node }) => !conversation.order.has(node.id));
    if (earlier) conversation.low -= fresh.length;
    fresh.forEach(({ node }, i) => conversation.order.set(node.id, earlier ? conversation.low + i : ++conversation.high));
    for (const { node } of edges) {
      if (!conversation.heard?.has(node.id)) conversation.byId.set(node.id, node);
    }
  }

  #upsertMessage(message) {
    const conversation = this.conversations.get(message.chatId);
    if (!conversation) return;
    if (!conversation.order.has(message.id)) conversation.order.set(message.id, ++conversation.high);
    conversation.byId.set(message.id, message);
    conversation.heard?.add(message.id);
    this.#emit('messages', message.chatId);
  }

  #coalesce(key, run) {
    this.running ??= new Map();
    const current = this.running.get(key);
    if (current) {
      current.again = true;
      return current.promise;
    }
    const entry = { again: false };
    entry.promise = (async () => {
      try {
        do {
          entry.again = false;
          await run();
        } while (entry.again);
      } catch (error) {
        this.#notice(error.message);
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, entry);
    return entry.promise;
  }

  // ---- The operator ---------------------------------------------------------------------

  refreshMe() {
    return this.#coalesce('me', async () => {
      const { me, serverTime } = await this.api.request(op.ME_QUERY);
      syncServerTime(serverTime);
      this.#setMe(me);
    });
  }

  #setMe(me) {
    if (this.me && me.status === 'AWAY' && this.me.status !== 'AWAY') this.statusBeforeAway = this.me.status;
    this.me = me;
    this.#emit('me');
  }

  async setStatus(status, customStatusId = null) {
    // Asked while the operator's choice is still a user gesture, as browsers require.
    if (status === 'READY') notifications.askOnce();
    const { setMyStatus } = await this.api.request(op.SET_STATUS, { status, customStatusId });
    this.#setMe(setMyStatus.operator);
  }

  /** Ends after-chat work now (X6 "Finish"). */
  async finishAfterChatWork() {
    const { finishAfterChatWork } = await this.api.request(op.FINISH_AFTER_CHAT_WORK);
    this.#setMe(finishAfterChatWork.operator);
  }

  /** Changes one's own name or password (`input` holds only what changes). */
  async updateProfile(input) {
    const { updateMyProfile } = await this.api.request(op.UPDATE_MY_PROFILE, { input });
    this.#setMe(updateMyProfile.operator);
  }

  async scheduleStatus(status, customStatusId = null) {
    const { scheduleMyNextStatus } = await this.api.request(op.SCHEDULE_STATUS, { status, customStatusId });
    this.#setMe(scheduleMyNextStatus.operator);
  }

  async unblock() {
    const { unblockMe } = await this.api.request(op.UNBLOCK);
    this.#setMe(unblockMe.operator);
  }

  /** Back from AWAY to the status before it (B1). */
  async returnFromAway() {
    const back = ['AWAY', 'BLOCKED', 'OFFLINE'].includes(this.statusBeforeAway) ? 'READY' : this.statusBeforeAway;
    await this.setStatus(back);
  }

  /** The operator is at the panel: restarts the server's AWAY timer (at most once a minute). */
  activity() {
    const now = Date.now();
    if (!this.me || now - this.lastActivity < ACTIVITY_EVERY_MS) return;
    this.lastActivity = now;
    this.api.request(op.REPORT_ACTIVITY).catch(() => {
      this.lastActivity = 0;
    });
  }

  // ---- Chat actions ---------------------------------------------------------------------

  /** Runs a chat mutation and folds the chat it answers with back in. */
  /** Runs a change; `chatId` names the chat it concerns when its variables do not. */
  async act(query, variables, { chatId = variables.chatId } = {}) {
    const data = await this.api.request(query, variables);
    const payload = Object.values(data)[0];
    // Chats answered with the card's fields replace the card; smaller answers only reload.
    if (payload?.chat?.participants) this.#upsertChat(payload.chat);
    if (payload?.message) this.#upsertMessage(payload.message);
    this.#emit('lists');
    if (chatId === this.openId) this.#reloadDetail();
    return payload;
  }

  chatAction(name, chatId) {
    return this.act(op.CHAT_ACTIONS[name], { chatId });
  }

  async send(chatId, { text, whisper = false, quickReplyId = null, attachmentIds = [] }) {
    const { message } = await this.act(op.SEND, { chatId, text, whisper, quickReplyId, attachmentIds });
    return message;
  }

  async retry(messageId) {
    const { retryMessage } = await this.api.request(op.RETRY, { messageId });
    this.#upsertMessage(retryMessage.message);
  }

  /** Wrap-up reasons, results and topics, loaded once. */
  async loadDictionaries() {
    this.dictionaries ??= await this.api.request(op.DICTIONARIES);
    return this.dictionaries;
  }

  // ---- Notices --------------------------------------------------------------------------

  #notice(message) {
    if (message) this.dispatchEvent(new CustomEvent('notice', { detail: message }));
  }

  #emit(what, detail) {
    this.dispatchEvent(new CustomEvent('change', { detail: { what, id: detail } }));
  }
}
