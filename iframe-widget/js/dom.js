// Building the page without HTML strings: every piece of text becomes a text node, so nothing a
// customer (or anyone) writes is ever parsed as markup.

/** Properties set on the element itself rather than as attributes. */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'readOnly', 'open']);

/**
 * Makes an element. `props`: `class`, `on<event>` handlers, `dataset`, the properties above, and
 * anything else as an attribute (`true` gives an empty one; `null`, `undefined` and `false` none).
 * Children may be nodes, strings, numbers, arrays of them, or nothing.
 */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      element.className = value;
    } else if (key === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (PROPERTIES.has(key)) {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children as `h` takes them. */
export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces an element's children. */
export function mount(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** A `<select>` of `{value, label}` options with `selected` chosen. */
export function select(props, options, selected) {
  return h(
    'select',
    props,
    options.map((o) => h('option', { value: o.value, selected: o.value === selected, disabled: o.disabled ?? false }, o.label)),
  );
}

/** A control with its visible label (which is also its accessible name). */
export function field(label, control) {
  if (!control.hasAttribute('aria-label')) control.setAttribute('aria-label', label);
  return h('label', { class: 'field' }, h('span', { 'aria-hidden': 'true' }, label), control);
}

/** Initials of a name, for message avatars ("Jan Kowalski" → "JK"; a phone → "#"). */
export function initials(name) {
  const words = String(name ?? '').match(/\p{L}+/gu) ?? [];
  return words.slice(0, 2).map((w) => w[0].toUpperCase()).join('') || '#';
}

/** Runs `fn` once calls have stopped for `ms`, with the last call's arguments. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
