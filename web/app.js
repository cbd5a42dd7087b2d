/**
 * The dashboard: state from the published API, kept current by the event
 * stream (changes) and the usage source (shares), rendered by views.js.
 */
import { API, ApiError, call, isConflict, onTokenNeeded, request, versionOf } from './api.js';
import { createShareChart, HISTORY_S } from './chart.js';
import { byId, formatSeconds, h, withError } from './dom.js';
import { openEventStream } from './event-stream.js';
import { createUsageSource, POLL_MS } from './usage-source.js';
import { AVERAGE_CHOICES_S, createUsageWindow, DEFAULT_AVERAGE_S, groupShares, sampleFromStep } from './usage-window.js';
import { busiestVcpus, createVcpuTracker } from './vcpu-usage.js';
import { renderDomains, renderGroups, renderGroupShares, renderPcpus, renderPools, renderPreview, renderPreviewChoices, renderShares } from './views.js';

/**
 * @typedef {import('./views.js').Domain} Domain @typedef {import('./views.js').Group} Group @typedef {import('./views.js').Share} Share
 * @typedef {import('./views.js').Pool} Pool @typedef {import('./views.js').Context} Context
 */

const EXPECTED_EVERY_MS = 2000;
const NS_PER_S = 1e9;
/** At load, the history's last two minutes: the chart's minute, and a minute before it to average its first points over. */
const HISTORY_LOAD_MS = 2 * HISTORY_S * 1000;
const HISTORY_STEP_MS = 1000;
const EXPECTED_WINDOW_MS = 5000;
/** In stream mode the table's cumulative CPU time is re-read this often. */
const STATE_EVERY_MS = 5000;
/** Domains a page of the table shows: the page asks for no more, however big the host. */
const PAGE_LIMIT = 50;

const state = {
  /** The table's page of domains. @type {Map<number, Domain>} */ domains: new Map(),
  /** Every domain's name the page knows (its page's, and each pool's domains), by domid. @type {Map<number, string>} */ names: new Map(),
  /** @type {Pool[]} */ pools: [],
  /**
   * Where the table is: the cursor of each page seen so far (null: the first),
   * the index of the one shown, the next one's cursor, how many match, and the filters.
   */
  page: {
    /** @type {(string | null)[]} */ cursors: [null],
    index: 0,
    /** @type {string | null} */ next: null,
    /** @type {number | undefined} */ total: undefined,
    /** @type {{ name: string, state: string, cpupool: string }} */ filters: { name: '', state: '', cpupool: '' },
  },
  /** @type {Map<number, Group>} */ groups: new Map(),
  /** @type {{ id: number, current: { domain: number, vcpu: number } | null, busy_ns: number }[]} */ pcpus: [],
  /** @type {any} */ host: undefined,
  /** Averaging window, simulated s. */ average_s: DEFAULT_AVERAGE_S,
  /** @type {'stream' | 'poll' | 'history'} */ samplesFrom: 'history',
  /** @type {Map<number, { expected_pct: number, reason?: string }> | undefined} */ expected: undefined,
  /** @type {boolean | undefined} whether the daemon has GET /host/usage */ hasUsageReport: undefined,
  refreshedAt: 0,
};

const chart = createShareChart(byId('chart'));
/** What the chart spans, and the longest average before its oldest point. */
const keep_ns = () => (HISTORY_S * Math.max(1, state.host?.clock.speed ?? 1) + Math.max(...AVERAGE_CHOICES_S)) * NS_PER_S;
const samples = createUsageWindow(keep_ns);
const vcpus = createVcpuTracker(keep_ns);
/** @type {Map<number, Map<number, number>>} the expected shares known when each live sample came, by its now_ns */
const expectedAt = new Map();
const hostError = byId('clock-error');

/** Settles when the page first asks for a token: the first load waits no longer for data. */
let tokenAsked = () => {};
const firstTokenAsk = new Promise((resolve) => { tokenAsked = () => resolve(undefined); });

function askTokenWithDialog() {
  tokenAsked();
  /** @type {HTMLDialogElement} */ const dialog = byId('token-dialog');
  /** @type {HTMLInputElement} */ const input = byId('token-input');
  byId('token-error').textContent = sessionStorage.getItem('nemesis.token') === null ? '' : 'That token was refused; try again.';
  input.value = '';
  dialog.showModal();
  return new Promise((resolve) => {
    byId('token-form').addEventListener('submit', () => resolve(input.value), { once: true });
  });
}

function renderHost() {
  const host = state.host;
  if (host === undefined) return;
  byId('host-summary').textContent = `${host.pcpus} pCPUs, ${host.scheduler} scheduler, nemesisd ${host.version}`;
  showClock(host.clock.now_ns);
  byId('clock-speed').textContent = host.clock.speed === 0 ? 'frozen' : `×${host.clock.speed}`;
  chart.setSpeed(host.clock.speed);
  for (const button of byId('speed-buttons').querySelectorAll('button')) {
    button.setAttribute('aria-pressed', String(Number(button.dataset.speed) === host.clock.speed));
  }
}

/**
 * The header's simulated time, from whichever reading came last: a state
 * refresh (every few seconds) or a usage sample (several a second), so at
 * speed 1000 it keeps up with the chart instead of lagging by seconds.
 * @param {number} now_ns
 */
function showClock(now_ns) {
  byId('clock-now').textContent = `${formatSeconds(now_ns)} s`;
}

/**
 * Pool-0's scheduler into its form, with the version the form then shows
 * (sent as If-Match by Apply); left alone while the user is in the form.
 * @param {any} scheduler
 * @param {number | undefined} version
 */
function renderScheduler(scheduler, version) {
  byId('scheduler-name').textContent = `${scheduler.name} (tick ${scheduler.tick_ms} ms)`;
  const form = byId('scheduler-form');
  if (form.contains(document.activeElement)) return;
  byId('tslice').value = scheduler.tslice_ms;
  byId('ratelimit').value = scheduler.ratelimit_us;
  byId('accounting').value = scheduler.accounting;
  if (version !== undefined) form.dataset.version = String(version);
}

/** Bands in stacking order: each group's master and members together, then the rest by domid. */
function bandsOf() {
  const bands = [];
  const placed = new Set();
  for (const group of state.groups.values()) {
    for (const id of [group.master, ...group.members.map((member) => member.domain)]) {
      const name = state.names.get(id);
      if (name === undefined) continue;
      bands.push({ id, name, master: group.master });
      placed.add(id);
    }
  }
  for (const domain of state.domains.values()) if (!placed.has(domain.id)) bands.push({ id: domain.id, name: domain.name, master: null });
  return bands;
}

/** What the views need: the state, and how to re-read what a conflict says has changed. @returns {Context} */
function contextOf() {
  return {
    domains: state.domains,
    names: state.names,
    groups: state.groups,
    pools: state.pools,
    onChange: scheduleRefresh,
    reread: { domain: readDomain, group: readGroup },
    accept: {
      domain: (domain) => {
        if (state.domains.has(domain.id)) state.domains.set(domain.id, domain);
        render();
      },
      group: (master, group) => {
        if (group === undefined) state.groups.delete(master);
        else state.groups.set(master, group);
        render();
      },
    },
    showPool: (pool) => {
      /** @type {HTMLSelectElement} */ (byId('filter-cpupool')).value = pool;
      applyFilters();
    },
  };
}

/** A domain as it is now, with its version (from the ETag). @param {number} id @returns {Promise<Domain>} */
async function readDomain(id) {
  const { body, etag } = await request('GET', `/domains/${id}`);
  return { ...body, version: versionOf(etag) };
}

/** A scheduling domain as it is now; undefined once dissolved. @param {number} master @returns {Promise<Group | undefined>} */
async function readGroup(master) {
  const groups = await call('GET', '/scheduling-domains?include=version');
  return groups.find((/** @type {Group} */ group) => group.master === master);
}

function render() {
  const context = contextOf();
  renderHost();
  renderDomains(context);
  renderPager();
  renderGroups(context);
  renderPools(context, state.host?.free_pcpus ?? []);
  renderPoolFilter();
  renderPreviewChoices(context);
  chart.setBands(bandsOf(), state.host?.pcpus ?? 1);
  byId('whole-host-label').textContent = `Whole host (0–${(state.host?.pcpus ?? 1) * 100} %)`;
  showShares();
}

/**
 * The figures and the chart from the samples, each averaged over the chosen
 * window of simulated time; the group's share is its domains' together.
 */
function showShares() {
  const points = samples.averaged(state.average_s * NS_PER_S);
  const latest = points.at(-1);
  if (latest === undefined) return;
  /** @type {Map<number, Share>} */ const shares = new Map([...latest.domains].map(([id, pct]) => [id, { observed_pct: pct, ...state.expected?.get(id) }]));
  renderShares(shares);
  renderGroupShares(groupShares(latest.domains, state.groups.values()));
  renderPcpus(state.pcpus, latest.pcpus, state.names, busiestVcpus(vcpus.over(state.average_s * NS_PER_S), state.pcpus.length), state.average_s);
  chart.setPoints(points.map((point) => ({ t_s: point.now_ns / NS_PER_S, observed: point.domains, expected: expectedAt.get(point.now_ns) })));
  const from = { stream: 'live from the event stream', poll: 'live, worked out from successive CPU times', history: "from the daemon's usage history" }[state.samplesFrom];
  byId('sample-note').textContent = `Figures: the mean over the last ${state.average_s} s of simulated time (at least one sample) to simulated ${formatSeconds(latest.now_ns)} s, ${from}.`;
}

/** The table's page as a request: one page, with versions (for If-Match) and the count of every match. */
function pagePath() {
  const query = new URLSearchParams({ limit: String(PAGE_LIMIT), include: 'version,total' });
  for (const [key, value] of Object.entries(state.page.filters)) if (value !== '') query.set(key, value);
  const cursor = state.page.cursors[state.page.index];
  if (cursor !== null && cursor !== undefined) query.set('cursor', cursor);
  return `/domains?${query}`;
}

/**
 * Each pool with its scheduler's parameters (a request per pool: a host has few).
 * @returns {Promise<Pool[]>}
 */
async function readPools() {
  const pools = await call('GET', '/cpupools');
  const parameters = await Promise.all(pools.map((/** @type {Pool} */ pool) => call('GET', `/cpupools/${pool.id}/scheduler`)));
  return pools.map((/** @type {Pool} */ pool, /** @type {number} */ i) => ({ ...pool, parameters: parameters[i] }));
}

/**
 * Everything the page shows except shares; answers the snapshot the usage
 * source needs. The clock is read before and after the rest and the midpoint
 * taken, since it keeps running between requests (fast, at speed 1000). The
 * domains are one page of the table, never the whole host.
 */
async function refreshState() {
  const [before, groups, scheduler, page, pcpus, pools] = await Promise.all([
    call('GET', '/host'),
    call('GET', '/scheduling-domains?include=version'),
    request('GET', '/scheduler'),
    call('GET', pagePath()),
    call('GET', '/host/pcpus'),
    readPools(),
  ]);
  state.host = before;
  state.domains = new Map(page.items.map((/** @type {Domain} */ domain) => [domain.id, domain]));
  state.page.next = page.next;
  state.page.total = page.total;
  state.pools = pools;
  state.names = new Map([
    ...pools.flatMap((/** @type {Pool} */ pool) => pool.domains.map((domain) => /** @type {[number, string]} */ ([domain.id, domain.name]))),
    ...page.items.map((/** @type {Domain} */ domain) => /** @type {[number, string]} */ ([domain.id, domain.name])),
  ]);
  state.groups = new Map(groups.map((/** @type {Group} */ group) => [group.master, group]));
  state.pcpus = pcpus;
  state.refreshedAt = performance.now();
  renderScheduler(scheduler.body, versionOf(scheduler.etag));
  render();
  const host = await call('GET', '/host');
  state.host = host;
  renderHost();
  return { now_ns: (before.clock.now_ns + host.clock.now_ns) / 2, uncertainty_ns: (host.clock.now_ns - before.clock.now_ns) / 2, domains: page.items, pcpus };
}

/** "Domains 51–100 of 3,002", and which way the table can page. */
function renderPager() {
  const { index, next, total } = state.page;
  const first = index * PAGE_LIMIT + 1;
  const shown = state.domains.size;
  const of = total === undefined ? '' : ` of ${total.toLocaleString('en')}`;
  byId('page-status').textContent = shown === 0 ? 'No domain matches.' : `Domains ${first.toLocaleString('en')}–${(first + shown - 1).toLocaleString('en')}${of}, page ${index + 1}${total === undefined ? '' : ` of ${Math.max(1, Math.ceil(total / PAGE_LIMIT))}`}`;
  byId('page-previous').disabled = index === 0;
  byId('page-next').disabled = next === null;
}

/** @param {number} step +1: the next page, -1: the one before */
function turnPage(step) {
  const { page } = state;
  if (step > 0) {
    if (page.next === null) return;
    page.cursors[page.index + 1] = page.next;
    page.cursors.length = page.index + 2;
  }
  page.index = Math.max(0, page.index + step);
  void withError(byId('page-error'), refreshState);
}

/** The filter box's values as the table's filters, from the first page. */
function applyFilters() {
  state.page.filters = {
    name: /** @type {HTMLInputElement} */ (byId('filter-name')).value.trim(),
    state: /** @type {HTMLSelectElement} */ (byId('filter-state')).value,
    cpupool: /** @type {HTMLSelectElement} */ (byId('filter-cpupool')).value,
  };
  state.page.cursors = [null];
  state.page.index = 0;
  void withError(byId('page-error'), refreshState);
}

/** The pool choices of the filter box, kept as chosen. */
function renderPoolFilter() {
  const select = /** @type {HTMLSelectElement} */ (byId('filter-cpupool'));
  const names = ['', ...state.pools.map((pool) => pool.name)];
  if (select.dataset['pools'] === names.join(',')) return;
  select.dataset['pools'] = names.join(',');
  const chosen = select.value;
  select.replaceChildren(...names.map((name) => h('option', { value: name, text: name === '' ? 'any' : name })));
  select.value = names.includes(chosen) ? chosen : '';
}

let refreshPending = false;
function scheduleRefresh() {
  if (refreshPending) return;
  refreshPending = true;
  setTimeout(() => {
    refreshPending = false;
    refreshState().catch(showLoadError);
  }, 50);
}

/** @param {unknown} error */
function showLoadError(error) {
  hostError.textContent = error instanceof Error ? error.message : String(error);
}

/**
 * @param {import('./usage-source.js').UsageSample} sample
 * @param {'stream' | 'poll'} from
 */
function onSample(sample, from) {
  hostError.textContent = '';
  showClock(sample.now_ns);
  state.samplesFrom = from;
  samples.add(sample);
  if (state.expected !== undefined) expectedAt.set(sample.now_ns, new Map([...state.expected].map(([id, share]) => [id, share.expected_pct])));
  for (const now_ns of expectedAt.keys()) if (now_ns < (samples.oldest_ns ?? 0)) expectedAt.delete(now_ns);
  void vcpus.refresh(state.domains).catch(showLoadError);
  showShares();
}

/** The usage report's rows the page shows: its page of domains and the scheduling domains' (at most the 1000 the API takes). */
function shownDomains() {
  const ids = new Set(state.domains.keys());
  for (const group of state.groups.values()) for (const id of [group.master, ...group.members.map((member) => member.domain)]) ids.add(id);
  return `domains=${[...ids].slice(0, 1000).join(',')}`;
}

/** The chart's last minutes at once, from the daemon's usage history, before anything live: the shown domains' rows only. */
async function loadHistory() {
  const report = await call('GET', `/host/usage?window_ms=${HISTORY_LOAD_MS}&step_ms=${HISTORY_STEP_MS}&${shownDomains()}`);
  for (const step of report.series ?? []) samples.add(sampleFromStep(step));
  showShares();
}

/**
 * The fairness report's expected shares, when this daemon has it: the published
 * spec says (asking the route itself would log a 404 in the console); without
 * it the column stays hidden.
 */
async function refreshExpected() {
  try {
    if (state.hasUsageReport === undefined) {
      const spec = await fetch('/openapi.json').then((response) => (response.ok ? response.json() : {}));
      state.hasUsageReport = spec?.paths?.[`${API}/host/usage`] !== undefined;
      byId('domains').classList.toggle('no-expected', !state.hasUsageReport);
      byId('expected-toggle').hidden = !state.hasUsageReport;
    }
    if (!state.hasUsageReport) return;
    const report = await call('GET', `/host/usage?window_ms=${EXPECTED_WINDOW_MS}&${shownDomains()}`);
    const expected = new Map();
    for (const item of report.domains) expected.set(item.id, { expected_pct: item.expected_pct, ...(item.reason ? { reason: item.reason } : {}) });
    state.expected = expected;
  } catch (error) {
    showLoadError(error);
  }
  setTimeout(() => void refreshExpected(), EXPECTED_EVERY_MS);
}

const usage = createUsageSource({
  poll: refreshState,
  onSample,
  onError: showLoadError,
});

/** @param {string} text */
function banner(text) {
  const element = byId('banner');
  element.textContent = text;
  element.hidden = text === '';
}

/**
 * One event of the stream, read by its type: each type's data has its own
 * fields (a `usage` sample, a clock's speed, a domain's new weight and cap).
 * @param {import('./event-stream.js').StreamEvent} event
 */
function onEvent(event) {
  switch (event.type) {
    case 'usage':
      usage.fromEvent(JSON.parse(event.data));
      if (performance.now() - state.refreshedAt > STATE_EVERY_MS) scheduleRefresh();
      return;
    case 'clock.updated': {
      const { speed } = JSON.parse(event.data);
      // A speed change is the whole change; an advance moved everything, so read it all again.
      if (typeof speed === 'number' && state.host !== undefined) {
        state.host.clock.speed = speed;
        renderHost();
      } else {
        scheduleRefresh();
      }
      return;
    }
    case 'domain.sched': {
      const { domain, weight, cap, version } = JSON.parse(event.data);
      const known = state.domains.get(domain);
      if (known !== undefined) {
        state.domains.set(domain, { ...known, sched: { weight, cap }, version: version ?? known.version });
        render();
      }
      return;
    }
    default:
      // Lifecycle, vCPU, affinity, group, cpupool and scheduler changes: read the state again (one page of domains).
      scheduleRefresh();
  }
}

function connectStream() {
  let wasLost = false;
  openEventStream({
    query: `?usage_ms=${POLL_MS}`,
    onState: (streamState, detail) => {
      if (streamState === 'open') {
        banner('');
        if (wasLost) scheduleRefresh();
        wasLost = false;
      } else {
        wasLost = true;
        banner(`Live updates paused: ${detail ?? 'the connection dropped'}. Reconnecting…`);
      }
    },
    onEvent,
  });
}

function wireControls() {
  for (const button of byId('speed-buttons').querySelectorAll('button')) {
    button.addEventListener('click', () => void withError(hostError, async () => {
      state.host.clock = await call('PUT', '/host/clock', { speed: Number(button.dataset.speed) });
      renderHost();
    }));
  }
  byId('step-form').addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    void withError(hostError, async () => {
      await call('POST', '/host/clock/advance', { ms: Number(byId('step-ms').value) });
      scheduleRefresh();
    });
  });
  byId('scheduler-form').addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    const form = byId('scheduler-form');
    void withError(byId('scheduler-error'), async () => {
      try {
        const { body, etag } = await request('PUT', '/scheduler', {
          tslice_ms: Number(byId('tslice').value),
          ratelimit_us: Number(byId('ratelimit').value),
          accounting: byId('accounting').value,
        }, { ifMatch: Number(form.dataset.version) });
        form.dataset.version = String(versionOf(etag));
        renderScheduler(body, versionOf(etag));
      } catch (error) {
        if (!isConflict(error)) throw error;
        // The form keeps what was typed; it takes the version re-read, so Apply again makes the change.
        const { body, etag } = await request('GET', '/scheduler');
        form.dataset.version = String(versionOf(etag));
        throw new ApiError(`Changed by someone else: now timeslice ${body.tslice_ms} ms, ratelimit ${body.ratelimit_us} µs, accounting ${body.accounting}. Nothing was changed; press Apply again to make it yours.`, 412, 'PRECONDITION_FAILED');
      }
    });
  });
  byId('create-workload').addEventListener('change', () => {
    byId('duty-fields').hidden = byId('create-workload').value !== 'duty';
  });
  byId('create-form').addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    const type = byId('create-workload').value;
    const workload = type === 'duty' ? { type, run_ms: Number(byId('create-run').value), sleep_ms: Number(byId('create-sleep').value) } : { type };
    void withError(byId('create-error'), async () => {
      await call('POST', '/domains', { name: byId('create-name').value, vcpus: Number(byId('create-vcpus').value), workload, start: byId('create-start').checked });
      byId('create-name').value = '';
      scheduleRefresh();
    });
  });
  byId('group-form').addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    const masterName = byId('group-master').value;
    // A group the page shows is changed only at the version shown; a new one has none to compare.
    const group = [...state.groups.values()].find((known) => state.names.get(known.master) === masterName);
    void withError(byId('group-error'), async () => {
      try {
        await call('POST', `/scheduling-domains/${encodeURIComponent(masterName)}/members`, { domain: byId('group-member').value }, { ifMatch: group?.version });
      } catch (error) {
        if (!isConflict(error) || group === undefined) throw error;
        const fresh = await readGroup(group.master);
        contextOf().accept.group(group.master, fresh);
        throw new ApiError(`Changed by someone else: ${masterName}'s group now has ${fresh === undefined ? 'been dissolved' : `${fresh.members.length} member${fresh.members.length === 1 ? '' : 's'}`}. Nothing was changed; press Add to group again if you still want it.`, 412, 'PRECONDITION_FAILED');
      }
      scheduleRefresh();
    });
  });
  byId('filter-form').addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    applyFilters();
  });
  byId('page-previous').addEventListener('click', () => turnPage(-1));
  byId('page-next').addEventListener('click', () => turnPage(1));
  byId('preview-form').addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    const domain = byId('preview-domain').value;
    const field = byId('preview-field').value;
    const value = Number(byId('preview-value').value);
    void withError(byId('preview-error'), async () => {
      const change = { method: 'PUT', path: `/domains/${encodeURIComponent(domain)}/sched`, body: { [field]: value } };
      const report = await call('POST', '/host/what-if', { ms: Number(byId('preview-seconds').value) * 1000, changes: [change] });
      renderPreview(report, `${field} ${value} on ${domain}`);
    });
  });
  byId('show-expected').addEventListener('change', () => chart.setShowExpected(byId('show-expected').checked));
  byId('whole-host').addEventListener('change', () => chart.setWholeHost(byId('whole-host').checked));
  byId('average-window').addEventListener('change', () => {
    state.average_s = Number(byId('average-window').value);
    showShares();
  });
}

onTokenNeeded(askTokenWithDialog);
wireControls();
// State, then the history and expected shares of the domains it shows; live
// samples only after the history, which they continue. The browser's load event
// does not wait for a module's top-level await, so the page says when its first
// figures are drawn: <html data-loaded>, for scripts and screenshots to wait on.
const firstData = refreshState().catch(showLoadError).then(() => Promise.all([loadHistory().catch(showLoadError), refreshExpected()]));
void firstData.then(() => {
  document.documentElement.dataset['loaded'] = 'true';
  usage.start();
  connectStream();
});
await Promise.race([firstData, firstTokenAsk]);
