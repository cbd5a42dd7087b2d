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
 * The messages shown next to controls, by their element's id: a view rebuilt
 * after a change (a conflict's re-read is one) shows them again, so a message
 * stays next to its control until that control is used again.
 * @type {Map<string, string>}
 */
const shownErrors = new Map();

/**
 * Rebuilds `container`'s content and gives focus back to the element that had
 * it (by id), so a keyboard user keeps their place when the view refreshes.
 * An edit in progress survives too: an input the user typed into keeps what
 * they typed, and its form the version they saw when it was drawn
 * (`data-version`), so a change made meanwhile by someone else is a conflict
 * when they press Set, not a silent overwrite. Messages next to controls stay.
 * @param {HTMLElement} container
 * @param {Node[]} children
 */
export function replaceKeepingFocus(container, children) {
  const focused = document.activeElement;
  const id = focused !== null && container.contains(focused) ? focused.id : '';
  /** @type {Map<string, { value: string, version: string | undefined }>} */
  const edits = new Map();
  for (const input of container.querySelectorAll('input[id]')) {
    const field = /** @type {HTMLInputElement} */ (input);
    if (field.value !== field.defaultValue) edits.set(field.id, { value: field.value, version: field.form?.dataset['version'] });
  }
  container.replaceChildren(...children);
  for (const [inputId, edit] of edits) {
    const field = /** @type {HTMLInputElement | null} */ (document.getElementById(inputId));
    // Gone, or now showing what was typed (this page's own change, come back): nothing to keep.
    if (field === null || !container.contains(field) || field.defaultValue === edit.value) continue;
    field.value = edit.value;
    if (field.form !== null && edit.version !== undefined) field.form.dataset['version'] = edit.version;
  }
  for (const [errorId, text] of shownErrors) {
    const element = document.getElementById(errorId);
    if (element !== null && container.contains(element)) element.textContent = text;
  }
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
  shownErrors.delete(errorElement.id);
  try {
    await action();
    return true;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    // Looked up again: the action may have redrawn the view (a conflict re-reads what changed).
    const shown = (errorElement.id === '' ? null : document.getElementById(errorElement.id)) ?? errorElement;
    shown.textContent = text;
    if (errorElement.id !== '') shownErrors.set(errorElement.id, text);
    return false;
  }
}

/** @param {number} pct */
export const formatPct = (pct) => (Number.isFinite(pct) ? pct.toFixed(1) : '–');

/** @param {number} ns */
export const formatSeconds = (ns) => (ns / 1e9).toFixed(3);
