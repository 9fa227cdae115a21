// What every part of the panel shares: the page's settings, the API, the workplace, the CRM
// host, and a way to show a refusal.

import { Host } from './host.js';

const config = JSON.parse(document.getElementById('omnipanel-config')?.textContent || '{}');

export const panel = {
  /** `{ organizationId, hostOrigins, crmSignIn }`, written into the page by the server. */
  config,
  /** The `Api`, once the panel starts. */
  api: null,
  /** The `Workplace`, once the panel starts. */
  workplace: null,
  /** The CRM around the panel (`postMessage`). */
  host: new Host(config.hostOrigins ?? []),
  /** A record the CRM says is open (its `record-opened`), or null. */
  crmRecord: null,
  /** Shows a passing notice. */
  notify: (message) => console.warn(message),
};

/** Runs an action, showing a refusal as a notice; resolves to its result or undefined. */
export async function run(action) {
  try {
    return await action();
  } catch (error) {
    panel.notify(error.message);
    return undefined;
  }
}

/** The roles in rank order, lowest first. */
export const ROLES = ['OPERATOR', 'SUPERVISOR', 'MANAGER', 'ADMIN', 'OWNER'];

/** Whether `role` supervises others (SUPERVISOR and above): the floor, reports, assigning. */
export const supervises = (role) => ROLES.indexOf(role) >= ROLES.indexOf('SUPERVISOR');

/** Whether `role` configures the organization (ADMIN and OWNER): Administration. */
export const administers = (role) => ROLES.indexOf(role) >= ROLES.indexOf('ADMIN');

/** Whether a chat is accepted and not yet closed: what its operator may still change. */
export const accepted = (chat) => chat.status === 'NEW' || chat.status === 'IN_PROGRESS';
