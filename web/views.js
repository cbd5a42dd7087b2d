/**
 * The page's views: host, pCPUs, domains table, scheduling domains. Each is
 * rebuilt when what it shows changes shape, and only its figures are updated
 * otherwise, so a control being typed into keeps its value and focus.
 */
import { ApiError, call, isConflict } from './api.js';
import { byId, formatPct, formatSeconds, h, replaceKeepingFocus, withError } from './dom.js';

/**
 * @typedef {{ id: number, name: string, state: 'running' | 'paused' | 'halted', vcpus: number, max_vcpus: number,
 *   sched: { weight: number, cap: number }, scheduling_domain: number | null, cpu_time_ns: number,
 *   workload: { type: string }, cpupool: string, version: number }} Domain
 * @typedef {{ master: number, master_share: number, active: boolean,
 *   members: { domain: number, share: number, active: boolean }[], cpu_time_ns: number, version: number }} Group
 * @typedef {{ id: number, name: string, sched: string, pcpus: number[], domains: { id: number, name: string }[],
 *   runqueues: number[][] | null, profile: string, parameters?: Record<string, unknown> }} Pool
 * @typedef {{ observed_pct: number, expected_pct?: number, reason?: string }} Share
 * @typedef {{
 *   domains: Map<number, Domain>, names: Map<number, string>, groups: Map<number, Group>, pools: Pool[],
 *   onChange: () => void,
 *   reread: { domain(id: number): Promise<Domain>, group(master: number): Promise<Group | undefined> },
 *   accept: { domain(domain: Domain): void, group(master: number, group: Group | undefined): void },
 *   showPool: (pool: string) => void,
 * }} Context
 */

/**
 * A change sent with the version the user saw. When someone else changed the
 * resource since (412), what it is now is read again and shown, and the error
 * says so in words: "Changed by someone else: now weight 512. …". `seen` is
 * given the fresh copy before the view is redrawn (a form keeps the typed value
 * and takes the new version, so pressing Set again makes the change).
 * @template T
 * @param {{ send: () => Promise<unknown>, reread: () => Promise<T>, seen?: (fresh: T) => void,
 *   accept: (fresh: T) => void, now: (fresh: T) => string, retry: string }} change
 */
async function guarded({ send, reread, seen, accept, now, retry }) {
  try {
    await send();
  } catch (error) {
    if (!isConflict(error)) throw error;
    const fresh = await reread();
    seen?.(fresh);
    accept(fresh);
    throw new ApiError(`Changed by someone else: now ${now(fresh)}. Nothing was changed; ${retry}.`, 412, 'PRECONDITION_FAILED');
  }
}

const ACTIONS = /** @type {const} */ ({
  halted: ['start', 'delete'],
  running: ['pause', 'shutdown', 'destroy'],
  paused: ['unpause', 'shutdown', 'destroy'],
});

/**
 * One in-place editable number: a tiny form with a labelled input and a button.
 * The form holds the version of what it shows (`data-version`); `save` gets
 * it back with the value, to send as If-Match, and may set it anew.
 * @param {{ id: string, label: string, value: number, min: number, max: number, version: number, error: HTMLElement,
 *   save: (value: number, form: HTMLFormElement) => Promise<unknown> }} options
 */
function numberForm({ id, label, value, min, max, version, error, save }) {
  const input = /** @type {HTMLInputElement} */ (h('input', { id, type: 'number', min, max, step: 1, value, required: true, 'aria-label': label, class: 'narrow' }));
  input.defaultValue = String(value);
  const form = /** @type {HTMLFormElement} */ (h('form', {
    class: 'cell-form',
    'data-version': version,
    onsubmit: (event) => {
      event.preventDefault();
      void withError(error, () => save(Number(input.value), form));
    },
  }, input, h('button', { type: 'submit', text: 'Set', 'aria-label': `Set ${label.toLowerCase()}` })));
  return form;
}

/** @param {HTMLFormElement} form @returns {number} the version the form was drawn with (or re-read at a conflict) */
const seenVersion = (form) => Number(form.dataset['version']);

/**
 * The form the page shows now in place of `form`: a redraw while a request was
 * out (an event's) replaces it by one with the same input and what was typed.
 * @param {HTMLFormElement} form
 * @returns {HTMLFormElement}
 */
function shownForm(form) {
  const id = form.querySelector('input[id]')?.id;
  const input = id === undefined ? null : /** @type {HTMLInputElement | null} */ (document.getElementById(id));
  return input?.form ?? form;
}

/** @param {Map<number, string>} names @param {number} id */
const nameOf = (names, id) => names.get(id) ?? `domain ${id}`;

/**
 * @param {Domain} domain
 * @param {Map<number, string>} names
 * @param {Map<number, Group>} groups
 */
function groupText(domain, names, groups) {
  if (groups.has(domain.id)) return 'master';
  if (domain.scheduling_domain !== null) return `member of ${nameOf(names, domain.scheduling_domain)}`;
  return '–';
}

/** What a power action or a delete finds when someone else got there first. */
const powerNow = (/** @type {Domain} */ fresh) => `${fresh.state}, in ${fresh.cpupool}, weight ${fresh.sched.weight}, cap ${fresh.sched.cap}`;

/**
 * The domain's pool, and a control to move it to another (xl cpupool-migrate).
 * @param {Domain} domain
 * @param {Context} context
 * @param {HTMLElement} error
 */
function poolCell(domain, context, error) {
  if (domain.id === 0 || context.pools.length < 2) return h('span', { text: domain.cpupool });
  const select = /** @type {HTMLSelectElement} */ (h('select', { id: `domain-${domain.id}-cpupool`, 'aria-label': `Cpupool of ${domain.name}` },
    ...context.pools.map((pool) => h('option', { value: pool.name, text: pool.name, selected: pool.name === domain.cpupool }))));
  const target = encodeURIComponent(domain.name);
  return h('form', {
    class: 'cell-form',
    onsubmit: (event) => {
      event.preventDefault();
      void withError(error, () => guarded({
        send: () => call('PUT', `/domains/${target}/cpupool`, { cpupool: select.value }, { ifMatch: domain.version }),
        reread: () => context.reread.domain(domain.id),
        accept: context.accept.domain,
        now: (fresh) => `in ${fresh.cpupool}`,
        retry: 'choose again and press Move',
      }).then(context.onChange, (/** @type {unknown} */ refused) => {
        // Refused: the control shows where the domain is, not where it was asked to go.
        select.value = domain.cpupool;
        throw refused;
      }));
    },
  }, select, h('button', { type: 'submit', text: 'Move', 'aria-label': `Move ${domain.name} to the chosen cpupool` }));
}

/**
 * @param {Domain} domain
 * @param {Context} context
 */
function domainRows(domain, context) {
  const { names, groups, onChange } = context;
  const error = h('p', { class: 'error', role: 'alert', id: `domain-${domain.id}-error` });
  const target = encodeURIComponent(domain.name);
  const act = (/** @type {string} */ action) => withError(error, () => guarded({
    send: () => (action === 'delete'
      ? call('DELETE', `/domains/${target}`, undefined, { ifMatch: domain.version })
      : call('POST', `/domains/${target}/${action}`, undefined, { ifMatch: domain.version })),
    reread: () => context.reread.domain(domain.id),
    accept: context.accept.domain,
    now: powerNow,
    retry: `press ${action} again if you still want it`,
  }).then(onChange));
  const actions = domain.id === 0 ? [] : ACTIONS[domain.state].map((action) =>
    h('button', { type: 'button', id: `domain-${domain.id}-${action}`, text: action, 'aria-label': `${action} ${domain.name}`, onclick: () => void act(action) }));
  const sched = (/** @type {'weight' | 'cap'} */ field, /** @type {number} */ max) => numberForm({
    id: `domain-${domain.id}-${field}`,
    label: `${field === 'weight' ? 'Weight' : 'Cap'} of ${domain.name}`,
    value: domain.sched[field],
    min: field === 'weight' ? 1 : 0,
    max,
    version: domain.version,
    error,
    save: (value, form) => guarded({
      send: () => call('PUT', `/domains/${target}/sched`, { [field]: value }, { ifMatch: seenVersion(form) }),
      reread: () => context.reread.domain(domain.id),
      seen: (fresh) => { shownForm(form).dataset['version'] = String(fresh.version); },
      accept: context.accept.domain,
      now: (fresh) => `${field} ${fresh.sched[field]}`,
      retry: `press Set again to make it ${value}`,
    }).then(onChange),
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
    h('td', { 'data-label': 'Group', text: groupText(domain, names, groups) }),
    h('td', { 'data-label': 'Cpupool' }, poolCell(domain, context, error)),
    h('td', { class: 'actions-cell' }, h('div', { class: 'actions' }, ...actions)));
  return [row, h('tr', { class: 'error-row' }, h('td', { colspan: 11 }, error))];
}

/**
 * @param {Context} context
 */
export function renderDomains(context) {
  const body = byId('domains').tBodies[0];
  const signature = JSON.stringify([
    [...context.domains.values()].map((d) => [d.id, d.name, d.state, d.sched, d.vcpus, d.max_vcpus, d.scheduling_domain, d.cpupool, d.version, context.groups.has(d.id)]),
    context.pools.map((pool) => pool.name),
  ]);
  if (body.dataset.signature === signature) {
    for (const domain of context.domains.values()) {
      const cell = body.querySelector(`tr[data-domain="${domain.id}"] .cpu-time`);
      if (cell !== null) cell.textContent = formatSeconds(domain.cpu_time_ns);
    }
    return;
  }
  body.dataset.signature = signature;
  const rows = [...context.domains.values()].flatMap((domain) => domainRows(domain, context));
  replaceKeepingFocus(body, rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 11, class: 'muted', text: 'No domain matches.' }))]);
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

/** A group's shares in words, for a conflict's message. @param {Group | undefined} group @param {Map<number, string>} names */
const sharesNow = (group, names) => (group === undefined
  ? 'no scheduling domain'
  : [[group.master, group.master_share], ...group.members.map((member) => [member.domain, member.share])].map(([id, share]) => `${nameOf(names, id ?? -1)} share ${share}`).join(', '));

/**
 * @param {Group} group
 * @param {Context} context
 */
function groupCard(group, context) {
  const { names, onChange } = context;
  const master = nameOf(names, group.master);
  const target = encodeURIComponent(master);
  const error = h('p', { class: 'error', role: 'alert', id: `group-${group.master}-error` });
  /** A change to this group, sent with the version of the group the page shows. */
  const change = (/** @type {(version: number) => Promise<unknown>} */ send, /** @type {string} */ retry, /** @type {HTMLFormElement | undefined} */ form) => guarded({
    send: () => send(form === undefined ? group.version : seenVersion(form)),
    reread: () => context.reread.group(group.master),
    seen: (fresh) => { if (form !== undefined && fresh !== undefined) shownForm(form).dataset['version'] = String(fresh.version); },
    accept: (fresh) => context.accept.group(group.master, fresh),
    now: (fresh) => sharesNow(fresh, names),
    retry,
  }).then(onChange);
  const shareForm = (/** @type {number} */ id, /** @type {number} */ share) => numberForm({
    id: `group-${group.master}-share-${id}`,
    label: `Share of ${nameOf(names, id)}`,
    value: share,
    min: 1,
    max: 65535,
    version: group.version,
    error,
    save: (value, form) => change((version) => (id === group.master
      ? call('PATCH', `/scheduling-domains/${target}`, { master_share: value }, { ifMatch: version })
      : call('PUT', `/scheduling-domains/${target}/members/${encodeURIComponent(nameOf(names, id))}`, { share: value }, { ifMatch: version })),
    `press Set again to make it ${value}`, form),
  });
  const rows = [
    h('tr', { 'data-domain': group.master }, h('th', { scope: 'row' }, `${master} `, h('span', { class: 'muted', text: '(master)' })), h('td', {}, shareForm(group.master, group.master_share)), h('td', { class: 'num cpu-pct', text: '–' }), h('td')),
    ...group.members.map((member) => h('tr', { 'data-domain': member.domain },
      h('th', { scope: 'row', text: nameOf(names, member.domain) }),
      h('td', {}, shareForm(member.domain, member.share)),
      h('td', { class: 'num cpu-pct', text: '–' }),
      h('td', {}, h('button', {
        type: 'button',
        id: `group-${group.master}-remove-${member.domain}`,
        text: 'Remove',
        'aria-label': `Remove ${nameOf(names, member.domain)} from ${master}'s group`,
        onclick: () => void withError(error, () => change(
          (version) => call('DELETE', `/scheduling-domains/${target}/members/${encodeURIComponent(nameOf(names, member.domain))}`, undefined, { ifMatch: version }),
          'press Remove again if you still want it', undefined)),
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
      onclick: () => void withError(error, () => change(
        (version) => call('DELETE', `/scheduling-domains/${target}`, undefined, { ifMatch: version }),
        'press Dissolve again if you still want it', undefined)),
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
 * @param {Context} context
 */
export function renderGroups(context) {
  const container = byId('groups');
  const guests = [...context.domains.values()].filter((domain) => domain.id !== 0);
  // A master's scheduling_domain is its own id: it may take more members.
  fillSelect(byId('group-master'), guests.filter((domain) => domain.scheduling_domain === null || domain.scheduling_domain === domain.id));
  fillSelect(byId('group-member'), guests.filter((domain) => domain.scheduling_domain === null && !context.groups.has(domain.id)));
  const signature = JSON.stringify([
    [...context.groups.values()].map((group) => [group.master, group.master_share, group.active, group.members, group.version]),
    [...context.groups.values()].flatMap((group) => [group.master, ...group.members.map((member) => member.domain)]).map((id) => context.names.get(id)),
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
 * @param {Map<number, string>} names
 * @param {({ domain: number, vcpu: number, pct: number } | undefined)[] | undefined} busiest
 * @param {number} average_s
 */
export function renderPcpus(pcpus, busyPcts, names, busiest, average_s) {
  const list = byId('pcpus');
  list.replaceChildren(...pcpus.map((pcpu, i) => {
    const busy = busyPcts[i];
    const top = busiest?.[i];
    let what;
    if (busiest === undefined) what = pcpu.current === null ? 'idle now' : `running now: ${nameOf(names, pcpu.current.domain)} vCPU ${pcpu.current.vcpu}`;
    else if (top !== undefined) what = `busiest in the last ${average_s} s: ${nameOf(names, top.domain)} vCPU ${top.vcpu}, ${formatPct(top.pct)} %`;
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

/** How many of a pool's domains it names; the rest are counted (a big host has thousands). */
const POOL_NAMES_SHOWN = 12;

/** @param {number[]} ids @returns {string} "0–3, 6" */
function pcpuRanges(ids) {
  /** @type {string[]} */ const parts = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === (ids[j] ?? 0) + 1) j += 1;
    parts.push(i === j ? `${ids[i]}` : `${ids[i]}–${ids[j]}`);
    i = j + 1;
  }
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** A pool's scheduler parameters in words: `ratelimit_us 1000, inflight_credit true`. @param {Record<string, unknown> | undefined} parameters */
function parametersText(parameters) {
  if (parameters === undefined) return '–';
  return Object.entries(parameters).filter(([key]) => key !== 'name' && key !== 'profile').map(([key, value]) => `${key} ${String(value)}`).join(', ');
}

/**
 * @param {Pool} pool
 * @param {Context} context
 */
function poolCard(pool, context) {
  const shown = pool.domains.slice(0, POOL_NAMES_SHOWN).map((domain) => domain.name).join(', ');
  const more = pool.domains.length - POOL_NAMES_SHOWN;
  const count = `${pool.domains.length} domain${pool.domains.length === 1 ? '' : 's'}`;
  return h('article', { class: 'pool', 'data-cpupool': pool.name, 'aria-labelledby': `cpupool-${pool.id}-title` },
    h('h3', { id: `cpupool-${pool.id}-title` }, `${pool.name} `, h('span', { class: 'muted', text: `${pool.sched}, ${pool.pcpus.length} pCPU${pool.pcpus.length === 1 ? '' : 's'}` })),
    h('dl', { class: 'facts' },
      h('dt', { text: 'Scheduler' }), h('dd', { class: 'pool-sched', text: `${pool.sched}, profile ${pool.profile}` }),
      h('dt', { text: 'Parameters' }), h('dd', { class: 'pool-parameters', text: parametersText(pool.parameters) }),
      h('dt', { text: 'pCPUs' }), h('dd', { class: 'pool-pcpus', text: pcpuRanges(pool.pcpus) }),
      pool.runqueues !== null && h('dt', { text: 'Runqueues' }),
      pool.runqueues !== null && h('dd', { class: 'pool-runqueues', text: pool.runqueues.map((pcpus, i) => `${i}: pCPUs ${pcpuRanges(pcpus)}`).join('; ') }),
      h('dt', { text: 'Domains' }),
      h('dd', { class: 'pool-domains' }, `${count}${pool.domains.length > 0 ? ': ' : ''}${shown}${more > 0 ? `, and ${more} more` : ''} `,
        pool.domains.length > 0 && h('button', {
          type: 'button',
          id: `cpupool-${pool.id}-show`,
          text: 'Show in the table',
          'aria-label': `Show in the table: the domains of ${pool.name}`,
          onclick: () => context.showPool(pool.name),
        }))));
}

/**
 * Each cpupool: scheduler and parameters, pCPUs, runqueues under credit2, domains.
 * @param {Context} context
 * @param {number[]} freePcpus pCPUs in no pool
 */
export function renderPools(context, freePcpus) {
  const container = byId('cpupools');
  const signature = JSON.stringify([context.pools, freePcpus]);
  if (container.dataset.signature === signature) return;
  container.dataset.signature = signature;
  byId('free-pcpus').textContent = freePcpus.length === 0 ? 'Every pCPU is in a pool.' : `Free pCPUs (in no pool): ${pcpuRanges(freePcpus)}.`;
  replaceKeepingFocus(container, context.pools.map((pool) => poolCard(pool, context)));
}
