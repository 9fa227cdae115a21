// The panel's entry point: reads the page's settings, signs in (password or the CRM), then
// shows the workplace. Components are custom elements in the page's own DOM (one stylesheet).

import { Api } from './api.js';
import { h, mount } from './dom.js';
import { panel, run, supervises, administers } from './panel.js';
import { t, setLocale, pickLocale, locale, LOCALES } from './i18n.js';
import { Workplace } from './workplace.js';
import { startTicker, tick } from './clock.js';
import * as op from './operations.js';
import './components/status.js';
import './components/chat-list.js';
import './components/conversation.js';
import './components/details.js';
import './components/slot.js';
import './components/supervisor.js';
import './components/reports.js';
import './components/admin/operators.js';
import './components/admin/queues.js';
import './components/admin/dictionaries.js';
import './components/admin/channels.js';
import './components/admin/crm.js';
import './components/admin/developers.js';
import './components/admin/settings.js';
import { openOutgoingDialog, openProfileDialog, showRefusal, clearRefusal } from './components/dialogs.js';

const SESSION_KEY = 'omnipanel.session';

/**
 * Pages shown in place of the workplace, each a set of views behind tabs: the supervisor's floor
 * (supervisors and up) and Administration (administrators and owners).
 */
const PAGES = {
  floor: { may: supervises, views: { live: 'op-supervisor', reports: 'op-reports' }, toggle: 'supervisor.open', tabs: 'supervisor.views', tab: 'supervisor.view' },
  admin: {
    may: administers,
    views: {
      operators: 'op-admin-operators',
      queues: 'op-admin-queues',
      replies: 'op-admin-replies',
      dictionaries: 'op-admin-dictionaries',
      channels: 'op-admin-channels',
      crm: 'op-admin-crm',
      webhooks: 'op-admin-webhooks',
      keys: 'op-admin-keys',
      settings: 'op-admin-settings',
    },
    toggle: 'admin.open',
    tabs: 'admin.views',
    tab: 'admin.view',
  },
};

const params = new URLSearchParams(location.search);
const config = panel.config;

class OmnipanelApp extends HTMLElement {
  connectedCallback() {
    setLocale(pickLocale(params.get('lang'), navigator.languages));
    panel.notify = (message) => this.notify(message);
    panel.api = new Api({ onSignedOut: () => this.signOut() });
    panel.workplace = new Workplace(panel.api);
    panel.workplace.addEventListener('change', (e) => this.#changed(e.detail));
    panel.workplace.addEventListener('notice', (e) => this.notify(e.detail));
    panel.workplace.addEventListener('invited', () => this.#title());
    panel.host.addEventListener('locale', (e) => {
      if (LOCALES.includes(e.detail)) this.#relocalize(e.detail);
    });
    panel.host.addEventListener('record', (e) => {
      panel.crmRecord = e.detail;
      this.querySelector('op-details')?.render();
    });
    this.addEventListener('open-chat', (e) => {
      this.#showPage(null);
      run(() => panel.workplace.open(e.detail));
    });
    for (const type of ['pointerdown', 'keydown']) {
      addEventListener(type, () => panel.workplace.activity(), { passive: true });
    }
    // Sign-in through the CRM hands the session over in the fragment (full-page flow).
    const fromFragment = new URLSearchParams(location.hash.slice(1)).get('session');
    if (fromFragment) {
      sessionStorage.setItem(SESSION_KEY, fromFragment);
      history.replaceState(null, '', location.pathname + location.search);
    }
    panel.host.ready();
    startTicker();
    // An invitation link: `#/accept-invitation?token=…` opens the sign-up page.
    const [route, query] = location.hash.slice(1).split('?');
    const invitation = route === '/accept-invitation' ? new URLSearchParams(query).get('token') : null;
    if (invitation) {
      history.replaceState(null, '', location.pathname + location.search);
      this.renderSignUp(invitation);
      return;
    }
    const token = sessionStorage.getItem(SESSION_KEY);
    if (token) this.begin(token);
    else this.renderSignIn();
  }

  /** Sign-up from an invitation (000): the invited e-mail shown, a password twice, a name. */
  async renderSignUp(invitationToken) {
    this.signUpToken = invitationToken;
    this.classList.remove('signed-in');
    mount(this, h('p', { class: 'loading', role: 'status' }, t('loading')));
    let invited;
    try {
      ({ invitation: invited } = await panel.api.request(op.INVITATION, { token: invitationToken }));
    } catch {
      this.signUpToken = null;
      this.renderSignIn(t('signUp.invalid'));
      return;
    }
    const input = (id, type, autocomplete) => h('input', { id, name: id, type, autocomplete, required: true });
    const firstName = input('firstName', 'text', 'given-name');
    const lastName = input('lastName', 'text', 'family-name');
    const password = input('password', 'password', 'new-password');
    const repeat = input('repeat', 'password', 'new-password');
    password.minLength = 8;
    const error = h('p', { class: 'error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('signUp.submit'));
    const labelled = (control, label) => [h('label', { for: control.id }, label), control];
    const form = h(
      'form',
      {
        class: 'sign-in sign-up',
        'aria-labelledby': 'sign-up-title',
        onsubmit: async (event) => {
          event.preventDefault();
          clearRefusal(form, error);
          if (password.value !== repeat.value) {
            repeat.setAttribute('aria-invalid', 'true');
            error.textContent = t('signUp.mismatch');
            return;
          }
          submit.disabled = true;
          try {
            const { acceptInvitation } = await panel.api.request(op.ACCEPT_INVITATION, {
              token: invitationToken,
              password: password.value,
              firstName: firstName.value,
              lastName: lastName.value,
            });
            await this.begin(acceptInvitation.token);
          } catch (e) {
            showRefusal(form, e, error);
            submit.disabled = false;
          }
        },
      },
      h('h1', { id: 'sign-up-title' }, t('signUp.title')),
      h('p', { class: 'invited' }, t('signUp.invited', { email: invited.email })),
      h('input', { type: 'email', name: 'email', value: invited.email, autocomplete: 'username', hidden: true, readOnly: true }),
      labelled(firstName, t('signUp.firstName')),
      labelled(lastName, t('signUp.lastName')),
      labelled(password, t('signUp.password')),
      labelled(repeat, t('signUp.repeat')),
      submit,
      error,
      this.#languagePicker(),
    );
    mount(this, form);
    firstName.focus();
  }

  /** Starts the workplace with a session token. */
  async begin(token) {
    this.signUpToken = null;
    sessionStorage.setItem(SESSION_KEY, token);
    mount(this, h('p', { class: 'loading', role: 'status' }, t('loading')));
    try {
      await panel.workplace.start(token);
    } catch (error) {
      sessionStorage.removeItem(SESSION_KEY);
      panel.workplace.stop();
      this.renderSignIn(error.code === 'UNAUTHENTICATED' ? t('signIn.expired') : error.message);
      return;
    }
    this.renderWorkplace();
  }

  signOut() {
    sessionStorage.removeItem(SESSION_KEY);
    panel.workplace.stop();
    this.renderSignIn(t('signIn.expired'));
  }

  renderSignIn(problem = null) {
    this.classList.remove('signed-in');
    const email = h('input', { id: 'email', type: 'email', name: 'email', autocomplete: 'username', required: true });
    const password = h('input', { id: 'password', type: 'password', name: 'password', autocomplete: 'current-password', required: true });
    const error = h('p', { class: 'error', role: 'alert' }, problem);
    const submit = h('button', { type: 'submit', class: 'primary' }, t('signIn.submit'));
    const form = h(
      'form',
      {
        class: 'sign-in',
        'aria-labelledby': 'sign-in-title',
        onsubmit: async (event) => {
          event.preventDefault();
          submit.disabled = true;
          error.textContent = '';
          try {
            const { signIn } = await panel.api.request(op.SIGN_IN, { email: email.value, password: password.value });
            await this.begin(signIn.token);
          } catch (e) {
            error.textContent = e.message;
            submit.disabled = false;
          }
        },
      },
      h('h1', { id: 'sign-in-title' }, 'Omnipanel'),
      h('label', { for: 'email' }, t('signIn.email')),
      email,
      h('label', { for: 'password' }, t('signIn.password')),
      password,
      submit,
      config.crmSignIn && config.organizationId
        ? h('button', { type: 'button', class: 'crm', onclick: () => this.#signInThroughCrm(error) }, t('signIn.crm'))
        : null,
      error,
      this.#languagePicker(),
    );
    mount(this, form);
    email.focus();
  }

  /** The OAuth flow in a popup; the callback page posts the session to us (own origin only). */
  #signInThroughCrm(error) {
    const url = `/oauth/crm/start?${new URLSearchParams({ organization: config.organizationId, popup: '1' })}`;
    const popup = window.open(url, 'omnipanel-crm-sign-in', 'popup,width=520,height=680');
    if (!popup) {
      error.textContent = t('signIn.popupBlocked');
      return;
    }
    const receive = (event) => {
      if (event.origin !== location.origin || event.source !== popup) return;
      if (event.data?.type !== 'omnipanel:signed-in' || typeof event.data.token !== 'string') return;
      removeEventListener('message', receive);
      this.begin(event.data.token);
    };
    addEventListener('message', receive);
  }

  renderWorkplace() {
    this.classList.add('signed-in');
    const connection = h('span', { class: 'connection', role: 'status', 'aria-live': 'polite' });
    mount(
      this,
      h(
        'header',
        { class: 'topbar' },
        h('op-status'),
        connection,
        h('button', { type: 'button', class: 'new-message', onclick: () => openOutgoingDialog() }, t('outgoing.open')),
        Object.entries(PAGES).map(([name, page]) =>
          page.may(panel.workplace.me?.role)
            ? h('button', { type: 'button', class: 'page-toggle', dataset: { page: name }, 'aria-pressed': 'false', onclick: () => this.#showPage(this.page === name ? null : name) }, t(page.toggle))
            : null,
        ),
        h(
          'details',
          { class: 'menu' },
          h('summary', { 'aria-label': t('menu') }, '⋯'),
          h(
            'div',
            { class: 'menu-items' },
            this.#languagePicker(),
            h('button', { type: 'button', class: 'link', onclick: () => openProfileDialog() }, t('profile.open')),
            h('button', { type: 'button', class: 'link', onclick: () => this.#signOutNow() }, t('signOut')),
          ),
        ),
      ),
      h(
        'div',
        { class: 'workspace' },
        h('op-chat-list'),
        h('op-conversation'),
        h('op-details'),
        h('op-slot'),
      ),
      h('div', { class: 'page', hidden: true }),
      h('div', { class: 'notices', role: 'log', 'aria-live': 'assertive' }),
      this.#awayOverlay(),
    );
    this.page = null;
    this.classList.remove('on-page');
    this.#changed({ what: 'all' });
  }

  /** Shows a page (`floor`, `admin`) in place of the workplace, or (null) the workplace again. */
  #showPage(name) {
    const container = this.querySelector('.page');
    const workspace = this.querySelector('.workspace');
    if (!container || !workspace) return;
    this.page = name;
    this.classList.toggle('on-page', Boolean(name));
    for (const toggle of this.querySelectorAll('.page-toggle')) toggle.setAttribute('aria-pressed', String(toggle.dataset.page === name));
    workspace.hidden = Boolean(name);
    container.hidden = !name;
    if (!name) {
      mount(container);
      return;
    }
    const page = PAGES[name];
    const [first] = Object.keys(page.views);
    container.dataset.page = name;
    mount(container, this.#tabs(page, first), h('div', { class: 'page-body', role: 'tabpanel' }, h(page.views[first])));
  }

  /** A page's tabs, one per view. */
  #tabs(page, chosen) {
    const choose = (view) => {
      for (const tab of this.querySelectorAll('.page-tabs [role="tab"]')) {
        tab.setAttribute('aria-selected', String(tab.dataset.view === view));
      }
      mount(this.querySelector('.page-body'), h(page.views[view]));
    };
    return h(
      'nav',
      { class: 'tabs page-tabs', role: 'tablist', 'aria-label': t(page.tabs) },
      Object.keys(page.views).map((view) =>
        h('button', { type: 'button', role: 'tab', 'aria-selected': String(view === chosen), dataset: { view }, onclick: () => choose(view) }, t(`${page.tab}.${view}`)),
      ),
    );
  }

  async #signOutNow() {
    try {
      await panel.workplace.setStatus('OFFLINE');
    } catch {
      // Signing out goes on; the server's AWAY timer does the rest.
    }
    this.signOut();
  }

  #awayOverlay() {
    return h(
      'div',
      { class: 'away', hidden: true, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'away-title' },
      h(
        'div',
        { class: 'away-box' },
        h('h2', { id: 'away-title' }, t('away.title')),
        h('p', {}, t('away.text')),
        h('button', { type: 'button', class: 'primary', onclick: () => run(() => panel.workplace.returnFromAway()) }, t('away.return')),
      ),
    );
  }

  #languagePicker() {
    const names = { en: 'English', ru: 'Русский', pl: 'Polski' };
    return h(
      'select',
      { class: 'language', 'aria-label': t('language'), onchange: (e) => this.#relocalize(e.target.value) },
      LOCALES.map((l) => h('option', { value: l, selected: l === locale() }, names[l])),
    );
  }

  #relocalize(next) {
    setLocale(next);
    if (panel.workplace.me) this.renderWorkplace();
    else if (this.signUpToken) this.renderSignUp(this.signUpToken);
    else this.renderSignIn();
  }

  #changed({ what }) {
    const me = panel.workplace.me;
    if (!me || !this.classList.contains('signed-in')) return;
    if (what === 'me' || what === 'all') {
      const away = this.querySelector('.away');
      if (away) away.hidden = me.status !== 'AWAY';
      this.classList.toggle('is-away', me.status === 'AWAY');
      if (me.status !== this.toldStatus) {
        this.toldStatus = me.status;
        panel.host.status(me.status);
      }
    }
    if (what === 'connection' || what === 'all') {
      const state = panel.workplace.connection;
      const element = this.querySelector('.connection');
      if (element) {
        element.dataset.state = state;
        element.textContent = t(`connection.${state}`);
      }
    }
    if (what === 'lists' || what === 'all') this.#title();
    if (what === 'open') this.classList.toggle('chat-open', Boolean(panel.workplace.openId));
    tick(this);
  }

  #title() {
    const count = panel.workplace.invitationCount();
    document.title = count ? `(${count}) Omnipanel` : 'Omnipanel';
  }

  /** Shows a passing notice (an error the server gave, in its words). */
  notify(message) {
    const box = this.querySelector('.notices');
    if (!box) return;
    const notice = h('p', { class: 'notice' }, message, h('button', { type: 'button', class: 'link', 'aria-label': t('dismiss'), onclick: () => notice.remove() }, '×'));
    box.append(notice);
    setTimeout(() => notice.remove(), 8000);
  }

}

customElements.define('op-app', OmnipanelApp);

