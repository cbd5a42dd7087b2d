/**
 * The page's views: host, pCPUs, domains table, scheduling domains. Each is
 * rebuilt when what it shows changes shape, and only its figures are updated
 * otherwise, so a control being typed into keeps its value and focus.
 */
import { call } from './api.js';
import { byId, formatPct, formatSeconds, h, replaceKeepingFocus, withError } from './dom.js';

/**
 * @typedef {{ id: number, name: string, state: 'running' | 'paused' | 'halted', vcpus: number, max_vcpus: number,
 *   sched: { weight: number, cap: number }, scheduling_domain: number | null, cpu_time_ns: number,
 *   workload: { type: string } }} Domain
 * @typedef {{ master: number, master_share: number, active: boolean,
 *   members: { domain: number, share: number, active: boolean }[], cpu_time_ns: number }} Group
 * @typedef {{ observed_pct: number, expected_pct?: number, reason?: string }} Share
 */

const ACTIONS = /** @type {const} */ ({
  halted: ['start', 'delete'],
  running: ['pause', 'shutdown', 'destroy'],
  paused: ['unpause', 'shutdown', 'destroy'],
});

/**
 * One in-place editable number: a tiny form with a labelled input and a button.
 * @param {{ id: string, label: string, value: number, min: number, max: number, error: HTMLElement,
 *   save: (value: number) => Promise<unknown> }} options
 */
function numberForm({ id, label, value, min, max, error, save }) {
  const input = /** @type {HTMLInputElement} */ (h('input', { id, type: 'number', min, max, step: 1, value, required: true, 'aria-label': label, class: 'narrow' }));
  const form = h('form', {
    class: 'cell-form',
    onsubmit: (event) => {
      event.preventDefault();
      void withError(error, () => save(Number(input.value)));
    },
  }, input, h('button', { type: 'submit', text: 'Set', 'aria-label': `Set ${label.toLowerCase()}` }));
  return form;
}

/** @param {Map<number, Domain>} domains @param {number} id */
const nameOf = (domains, id) => domains.get(id)?.name ?? `domain ${id}`;

/**
 * @param {Domain} domain
 * @param {Map<number, Domain>} domains
 * @param {Map<number, Group>} groups
 */
function groupText(domain, domains, groups) {
  if (groups.has(domain.id)) return 'master';
  if (domain.scheduling_domain !== null) return `member of ${nameOf(domains, domain.scheduling_domain)}`;
  return '–';
}

/**
 * @param {Domain} domain
 * @param {{ domains: Map<number, Domain>, groups: Map<number, Group>, onChange: () => void }} context
 */
function domainRows(domain, { domains, groups, onChange }) {
  const error = h('p', { class: 'error', role: 'alert', id: `domain-${domain.id}-error` });
  const target = encodeURIComponent(domain.name);
  const act = (/** @type {string} */ action) => withError(error, async () => {
    await (action === 'delete' ? call('DELETE', `/domains/${target}`) : call('POST', `/domains/${target}/${action}`));
    onChange();
  });
  const actions = domain.id === 0 ? [] : ACTIONS[domain.state].map((action) =>
    h('button', { type: 'button', id: `domain-${domain.id}-${action}`, text: action, 'aria-label': `${action} ${domain.name}`, onclick: () => void act(action) }));
  const sched = (/** @type {'weight' | 'cap'} */ field, /** @type {number} */ max) => numberForm({
    id: `domain-${domain.id}-${field}`,
    label: `${field === 'weight' ? 'Weight' : 'Cap'} of ${domain.name}`,
    value: domain.sched[field],
    min: field === 'weight' ? 1 : 0,
    max,
    error,
    save: async (value) => { await call('PUT', `/domains/${target}/sched`, { [field]: value }); onChange(); },
  });
  const row = h('tr', { 'data-domain': domain.id },
    h('th', { scope: 'row', text: domain.name }),
    h('td', { 'data-label': 'State', text: domain.state, class: `state state-${domain.state}` }),
    h('td', { 'data-label': 'Weight' }, sched('weight', 65535)),
    h('td', { 'data-label': 'Cap' }, sched('cap', 100 * domain.max_vcpus)),
    h('td', { 'data-label': 'vCPUs', text: `${domain.vcpus}/${domain.max_vcpus}`, class: 'num' }),
    h('td', { 'data-label': 'CPU time (s)', class: 'num cpu-time', text: formatSeconds(domain.cpu_time_ns) }),
    h('td', { 'data-label': 'CPU %', class: 'num cpu-pct', text: '–' }),
    h('td', { 'data-label': 'Expected %', class: 'num expected-col expected-pct', text: '–' }),
    h('td', { 'data-label': 'Group', text: groupText(domain, domains, groups) }),
    h('td', { class: 'actions-cell' }, h('div', { class: 'actions' }, ...actions)));
  return [row, h('tr', { class: 'error-row' }, h('td', { colspan: 10 }, error))];
}

/**
 * @param {{ domains: Map<number, Domain>, groups: Map<number, Group>, onChange: () => void }} context
 */
export function renderDomains(context) {
  const body = byId('domains').tBodies[0];
  const signature = JSON.stringify([...context.domains.values()].map((d) => [d.id, d.name, d.state, d.sched, d.vcpus, d.max_vcpus, d.scheduling_domain, context.groups.has(d.id)]));
  if (body.dataset.signature === signature) {
    for (const domain of context.domains.values()) {
      const cell = body.querySelector(`tr[data-domain="${domain.id}"] .cpu-time`);
      if (cell !== null) cell.textContent = formatSeconds(domain.cpu_time_ns);
    }
    return;
  }
  body.dataset.signature = signature;
  replaceKeepingFocus(body, [...context.domains.values()].flatMap((domain) => domainRows(domain, context)));
}

/**
 * The current shares, by domid, into the table and the group lists.
 * @param {Map<number, Share>} shares
 */
export function renderShares(shares) {
  for (const row of document.querySelectorAll('[data-domain]')) {
    const share = shares.get(Number(/** @type {HTMLElement} */ (row).dataset['domain']));
    const pct = row.querySelector('.cpu-pct');
    if (pct !== null) pct.textContent = share === undefined ? '–' : formatPct(share.observed_pct);
    const expected = row.querySelector('.expected-pct');
    if (expected !== null) {
      expected.textContent = share?.expected_pct === undefined ? '–' : formatPct(share.expected_pct);
      expected.setAttribute('title', share?.reason ?? '');
    }
  }
}

/**
 * @param {Group} group
 * @param {{ domains: Map<number, Domain>, groups: Map<number, Group>, onChange: () => void }} context
 */
function groupCard(group, { domains, onChange }) {
  const master = nameOf(domains, group.master);
  const target = encodeURIComponent(master);
  const error = h('p', { class: 'error', role: 'alert', id: `group-${group.master}-error` });
  const shareForm = (/** @type {number} */ id, /** @type {number} */ share) => numberForm({
    id: `group-${group.master}-share-${id}`,
    label: `Share of ${nameOf(domains, id)}`,
    value: share,
    min: 1,
    max: 65535,
    error,
    save: async (value) => {
      await (id === group.master
        ? call('PATCH', `/scheduling-domains/${target}`, { master_share: value })
        : call('PUT', `/scheduling-domains/${target}/members/${encodeURIComponent(nameOf(domains, id))}`, { share: value }));
      onChange();
    },
  });
  const rows = [
    h('tr', { 'data-domain': group.master }, h('th', { scope: 'row' }, `${master} `, h('span', { class: 'muted', text: '(master)' })), h('td', {}, shareForm(group.master, group.master_share)), h('td', { class: 'num cpu-pct', text: '–' }), h('td')),
    ...group.members.map((member) => h('tr', { 'data-domain': member.domain },
      h('th', { scope: 'row', text: nameOf(domains, member.domain) }),
      h('td', {}, shareForm(member.domain, member.share)),
      h('td', { class: 'num cpu-pct', text: '–' }),
      h('td', {}, h('button', {
        type: 'button',
        id: `group-${group.master}-remove-${member.domain}`,
        text: 'Remove',
        'aria-label': `Remove ${nameOf(domains, member.domain)} from ${master}'s group`,
        onclick: () => void withError(error, async () => {
          await call('DELETE', `/scheduling-domains/${target}/members/${encodeURIComponent(nameOf(domains, member.domain))}`);
          onChange();
        }),
      })))),
  ];
  return h('article', { class: 'group', 'aria-labelledby': `group-${group.master}-title` },
    h('h3', { id: `group-${group.master}-title` }, `${master}'s group `, h('span', { class: 'muted', text: group.active ? 'in force' : 'not in force (master not running)' })),
    h('p', { 'data-group': group.master }, 'Together: ', h('strong', { class: 'group-pct', text: '–' }), ' % of one pCPU'),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Domain' }), h('th', { scope: 'col', text: 'Share' }), h('th', { scope: 'col', text: 'CPU %' }), h('th', { scope: 'col', text: 'Action' }))),
      h('tbody', {}, ...rows))),
    h('button', {
      type: 'button',
      id: `group-${group.master}-dissolve`,
      text: 'Dissolve group',
      onclick: () => void withError(error, async () => {
        await call('DELETE', `/scheduling-domains/${target}`);
        onChange();
      }),
    }),
    error);
}

/** @param {HTMLSelectElement} select @param {Domain[]} choices */
function fillSelect(select, choices) {
  const previous = select.value;
  select.replaceChildren(...choices.map((domain) => h('option', { value: domain.name, text: domain.name })));
  if (choices.some((domain) => domain.name === previous)) select.value = previous;
}

/**
 * @param {{ domains: Map<number, Domain>, groups: Map<number, Group>, onChange: () => void }} context
 */
export function renderGroups(context) {
  const container = byId('groups');
  const guests = [...context.domains.values()].filter((domain) => domain.id !== 0);
  // A master's scheduling_domain is its own id: it may take more members.
  fillSelect(byId('group-master'), guests.filter((domain) => domain.scheduling_domain === null || domain.scheduling_domain === domain.id));
  fillSelect(byId('group-member'), guests.filter((domain) => domain.scheduling_domain === null && !context.groups.has(domain.id)));
  const signature = JSON.stringify([
    [...context.groups.values()].map((group) => [group.master, group.master_share, group.active, group.members]),
    guests.map((domain) => [domain.id, domain.name]),
  ]);
  if (container.dataset.signature === signature) return;
  container.dataset.signature = signature;
  const cards = [...context.groups.values()].map((group) => groupCard(group, context));
  replaceKeepingFocus(container, cards.length > 0 ? cards : [h('p', { class: 'muted', text: 'No scheduling domains yet.' })]);
}

/** @param {Map<number, number>} groupPcts by master */
export function renderGroupShares(groupPcts) {
  for (const element of document.querySelectorAll('[data-group]')) {
    const pct = groupPcts.get(Number(/** @type {HTMLElement} */ (element).dataset['group']));
    const strong = element.querySelector('.group-pct');
    if (strong !== null) strong.textContent = pct === undefined ? '–' : formatPct(pct);
  }
}

/**
 * Each pCPU: how busy over the averaging window, and the vCPU that kept it
 * busiest then; without that (no two readings yet, or a big host), what runs now.
 * @param {{ id: number, current: { domain: number, vcpu: number } | null }[]} pcpus
 * @param {number[]} busyPcts
 * @param {Map<number, Domain>} domains
 * @param {({ domain: number, vcpu: number, pct: number } | undefined)[] | undefined} busiest
 * @param {number} average_s
 */
export function renderPcpus(pcpus, busyPcts, domains, busiest, average_s) {
  const list = byId('pcpus');
  list.replaceChildren(...pcpus.map((pcpu, i) => {
    const busy = busyPcts[i];
    const top = busiest?.[i];
    let what;
    if (busiest === undefined) what = pcpu.current === null ? 'idle now' : `running now: ${nameOf(domains, pcpu.current.domain)} vCPU ${pcpu.current.vcpu}`;
    else if (top !== undefined) what = `busiest in the last ${average_s} s: ${nameOf(domains, top.domain)} vCPU ${top.vcpu}, ${formatPct(top.pct)} %`;
    else what = (busy ?? 0) > 0 ? `busiest in the last ${average_s} s: a vCPU that has moved on` : `idle in the last ${average_s} s`;
    return h('li', { 'data-pcpu': pcpu.id },
      h('span', { class: 'pcpu-name', text: `pCPU ${pcpu.id}`, id: `pcpu-${pcpu.id}-label` }),
      h('meter', { min: 0, max: 100, value: busy ?? 0, 'aria-labelledby': `pcpu-${pcpu.id}-label`, title: `${formatPct(busy ?? NaN)} % busy` }),
      h('span', { class: 'num pcpu-busy', text: `${formatPct(busy ?? NaN)} % busy` }),
      h('span', { class: 'muted pcpu-what', text: what }));
  }));
}

/** @param {{ domains: Map<number, Domain> }} context */
export function renderPreviewChoices(context) {
  fillSelect(byId('preview-domain'), [...context.domains.values()].filter((domain) => domain.id !== 0));
}

/** @param {number | null} pct */
const previewPct = (pct) => (pct === null ? '–' : formatPct(pct));

/**
 * A what-if's answer: each domain's share with the change, without it, and the model's.
 * @param {{ window_ns: number, domains: { id: number, name: string, predicted_pct: number | null, baseline_pct: number | null, expected_pct: number | null }[] }} report
 * @param {string} what the change, in words
 */
export function renderPreview(report, what) {
  const rows = report.domains.map((domain) => h('tr', {},
    h('th', { scope: 'row', text: domain.name }),
    h('td', { class: 'num', text: previewPct(domain.predicted_pct) }),
    h('td', { class: 'num', text: previewPct(domain.baseline_pct) }),
    h('td', { class: 'num', text: previewPct(domain.expected_pct) })));
  byId('preview').replaceChildren(h('table', { id: 'preview-table' },
    h('caption', { text: `${what}: CPU % over the next ${formatSeconds(report.window_ns).replace(/\.?0+$/, '')} simulated s` }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Domain' }),
      ...['With the change %', 'Without %', 'Expected %'].map((title) => h('th', { scope: 'col', class: 'num', text: title })))),
    h('tbody', {}, ...rows)));
}
