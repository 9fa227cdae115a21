// A custom element that redraws when the parts of the workplace it shows change.

import { panel } from '../panel.js';
import { tick } from '../clock.js';

export class WorkplaceElement extends HTMLElement {
  /** The `change` kinds (`me`, `lists`, `open`, `detail`, `messages`, …) this element shows. */
  static watches = [];

  connectedCallback() {
    this.listener = (event) => {
      const { what } = event.detail;
      if (what === 'all' || this.constructor.watches.includes(what)) this.changed(event.detail);
    };
    panel.workplace.addEventListener('change', this.listener);
    this.changed({ what: 'all' });
  }

  disconnectedCallback() {
    panel.workplace.removeEventListener('change', this.listener);
  }

  /** Redraws; elements that keep state across changes (the composer) override this. */
  changed() {
    this.render();
    tick(this);
  }

  render() {}
}
