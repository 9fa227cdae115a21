// Subscriptions over one WebSocket speaking graphql-transport-ws, reconnecting by itself.
//
// After every (re)connection `onConnected` runs first (the panel catches up on what it missed),
// then every open subscription is sent again with its variables as they are then (each stream
// resumes after the last sequence number it saw). A connection that stops answering pings is
// dropped and made again, so a half-open socket never leaves the panel silently stale.

const PROTOCOL = 'graphql-transport-ws';
const PING_EVERY_MS = 20_000;
const PONG_WITHIN_MS = 10_000;
const BACKOFF_MS = [500, 1_000, 2_000, 4_000, 8_000, 15_000];

export class Live extends EventTarget {
  /**
   * `token()` gives the session token; `onConnected()` may return a promise;
   * `onRejected()` runs when the server refuses the session.
   */
  constructor({ token, onConnected, onRejected }) {
    super();
    this.token = token;
    this.onConnected = onConnected;
    this.onRejected = onRejected;
    this.subscriptions = new Map();
    this.nextId = 1;
    this.socket = null;
    this.state = 'offline';
    this.attempt = 0;
    this.stopped = true;
  }

  start() {
    this.stopped = false;
    this.#connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.#stopPings();
    this.socket?.close(1000, 'signed out');
    this.socket = null;
    this.subscriptions.clear();
    this.#setState('offline');
  }

  /**
   * Subscribes; `variables()` is asked each time the subscription is (re)sent. Returns a
   * function that ends the subscription.
   */
  subscribe(query, variables, onNext, onError) {
    const id = String(this.nextId++);
    this.subscriptions.set(id, { query, variables, onNext, onError });
    if (this.state === 'online') this.#send({ id, type: 'subscribe', payload: { query, variables: variables() } });
    return () => {
      if (this.subscriptions.delete(id) && this.state === 'online') this.#send({ id, type: 'complete' });
    };
  }

  #connect() {
    const url = new URL('/graphql/ws', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, PROTOCOL);
    this.socket = socket;
    this.#setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    socket.addEventListener('open', () => {
      this.#send({ type: 'connection_init', payload: { authorization: `Bearer ${this.token()}` } });
    });
    socket.addEventListener('message', (event) => this.#receive(socket, event));
    socket.addEventListener('close', (event) => this.#closed(socket, event));
  }

  async #receive(socket, event) {
    if (socket !== this.socket) return;
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    this.lastHeard = Date.now();
    switch (message.type) {
      case 'connection_ack':
        this.attempt = 0;
        this.#startPings();
        try {
          await this.onConnected?.();
        } catch (error) {
          // Could not catch up: start again rather than follow from a gap.
          console.warn('catching up failed', error);
          socket.close(4001, 'catch-up failed');
          return;
        }
        if (socket !== this.socket) return;
        this.#setState('online');
        for (const [id, sub] of this.subscriptions) {
          this.#send({ id, type: 'subscribe', payload: { query: sub.query, variables: sub.variables() } });
        }
        break;
      case 'next':
        this.subscriptions.get(message.id)?.onNext(message.payload);
        break;
      case 'error': {
        const sub = this.subscriptions.get(message.id);
        this.subscriptions.delete(message.id);
        sub?.onError?.(message.payload);
        break;
      }
      case 'complete':
        this.subscriptions.delete(message.id);
        break;
      case 'ping':
        this.#send({ type: 'pong' });
        break;
      default:
        break;
    }
  }

  #closed(socket, event) {
    if (socket !== this.socket) return;
    this.#stopPings();
    this.socket = null;
    if (this.stopped) return;
    // 4401/4403: the server does not take the session (expired or revoked).
    if (event.code === 4401 || event.code === 4403) {
      this.#setState('offline');
      this.onRejected?.();
      return;
    }
    this.#setState('reconnecting');
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.#connect(), delay * (0.75 + Math.random() / 2));
  }

  #startPings() {
    this.#stopPings();
    this.lastHeard = Date.now();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > PING_EVERY_MS + PONG_WITHIN_MS) {
        this.socket?.close(4002, 'no answer');
      } else {
        this.#send({ type: 'ping' });
      }
    }, PING_EVERY_MS);
  }

  #stopPings() {
    clearInterval(this.pingTimer);
  }

  #send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }
}
