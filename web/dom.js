/** Small DOM helpers: elements built with text content only (names from the server are never parsed as HTML). */

/**
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined | ((event: Event) => void)>} [attributes]
 *   `on…` keys are listeners; `text` sets the text content; `false`/`undefined` are left out.
 * @param {(Node | string | false | undefined)[]} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'text') element.textContent = String(value);
    else if (name === 'value') /** @type {HTMLInputElement} */ (element).value = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== false && child !== undefined) element.append(child);
  return element;
}

/**
 * @param {string} id
 * @returns {any}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}

/**
 * Rebuilds `container`'s content and gives focus back to the element that had
 * it (by id), so a keyboard user keeps their place when the view refreshes.
 * @param {HTMLElement} container
 * @param {Node[]} children
 */
export function replaceKeepingFocus(container, children) {
  const focused = document.activeElement;
  const id = focused !== null && container.contains(focused) ? focused.id : '';
  container.replaceChildren(...children);
  if (id !== '') document.getElementById(id)?.focus();
}

/**
 * Runs a request for a control and shows its error in plain words next to it.
 * @param {HTMLElement} errorElement
 * @param {() => Promise<unknown>} action
 * @returns {Promise<boolean>} whether it succeeded
 */
export async function withError(errorElement, action) {
  errorElement.textContent = '';
  try {
    await action();
    return true;
  } catch (error) {
    errorElement.textContent = error instanceof Error ? error.message : String(error);
    return false;
  }
}

/** @param {number} pct */
export const formatPct = (pct) => (Number.isFinite(pct) ? pct.toFixed(1) : '–');

/** @param {number} ns */
export const formatSeconds = (ns) => (ns / 1e9).toFixed(3);
