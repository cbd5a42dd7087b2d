/**
 * The dashboard: state from the published API, kept current by the event
 * stream (changes) and the usage source (shares), rendered by views.js.
 */
import { API, call, onTokenNeeded } from './api.js';
import { createShareChart } from './chart.js';
import { byId, formatSeconds, withError } from './dom.js';
import { openEventStream } from './event-stream.js';
import { createUsageSource, POLL_MS } from './usage-source.js';
import { renderDomains, renderGroups, renderGroupShares, renderPcpus, renderPreview, renderPreviewChoices, renderShares } from './views.js';

/** @typedef {import('./views.js').Domain} Domain @typedef {import('./views.js').Group} Group @typedef {import('./views.js').Share} Share */

const EXPECTED_EVERY_MS = 2000;
const EXPECTED_WINDOW_MS = 5000;
/** In stream mode the table's cumulative CPU time is re-read this often. */
const STATE_EVERY_MS = 5000;

const state = {
  /** @type {Map<number, Domain>} */ domains: new Map(),
  /** @type {Map<number, Group>} */ groups: new Map(),
  /** @type {{ id: number, current: { domain: number, vcpu: number } | null, busy_ns: number }[]} */ pcpus: [],
  /** @type {any} */ host: undefined,
  /** @type {Map<number, Share>} */ shares: new Map(),
  /** @type {Map<number, number>} by master */ groupShares: new Map(),
  /** @type {Map<number, { expected_pct: number, reason?: string }> | undefined} */ expected: undefined,
  /** @type {boolean | undefined} whether the daemon has GET /host/usage */ hasUsageReport: undefined,
  refreshedAt: 0,
};

const chart = createShareChart(byId('chart'));
const hostError = byId('clock-error');

function askTokenWithDialog() {
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

/** @param {any} scheduler */
function renderScheduler(scheduler) {
  byId('scheduler-name').textContent = `${scheduler.name} (tick ${scheduler.tick_ms} ms)`;
  const form = byId('scheduler-form');
  if (form.contains(document.activeElement)) return;
  byId('tslice').value = scheduler.tslice_ms;
  byId('ratelimit').value = scheduler.ratelimit_us;
  byId('accounting').value = scheduler.accounting;
}

/** Bands in stacking order: each group's master and members together, then the rest by domid. */
function bandsOf() {
  const bands = [];
  const placed = new Set();
  for (const group of state.groups.values()) {
    for (const id of [group.master, ...group.members.map((member) => member.domain)]) {
      const domain = state.domains.get(id);
      if (domain === undefined) continue;
      bands.push({ id, name: domain.name, master: group.master });
      placed.add(id);
    }
  }
  for (const domain of state.domains.values()) if (!placed.has(domain.id)) bands.push({ id: domain.id, name: domain.name, master: null });
  return bands;
}

function render() {
  const context = { domains: state.domains, groups: state.groups, onChange: scheduleRefresh };
  renderHost();
  renderDomains(context);
  renderGroups(context);
  renderPreviewChoices(context);
  renderShares(state.shares);
  renderGroupShares(state.groupShares);
  chart.setBands(bandsOf(), state.host?.pcpus ?? 1);
}

/**
 * Everything the page shows except shares; answers the snapshot the usage
 * source needs. The clock is read before and after the rest and the midpoint
 * taken, since it keeps running between requests (fast, at speed 1000).
 */
async function refreshState() {
  const [groups, scheduler] = await Promise.all([call('GET', '/scheduling-domains'), call('GET', '/scheduler')]);
  const before = await call('GET', '/host');
  const [domains, pcpus] = await Promise.all([call('GET', '/domains'), call('GET', '/host/pcpus')]);
  const host = await call('GET', '/host');
  state.host = host;
  state.domains = new Map(domains.map((/** @type {Domain} */ domain) => [domain.id, domain]));
  state.groups = new Map(groups.map((/** @type {Group} */ group) => [group.master, group]));
  state.pcpus = pcpus;
  state.refreshedAt = performance.now();
  renderScheduler(scheduler);
  render();
  return { now_ns: (before.clock.now_ns + host.clock.now_ns) / 2, uncertainty_ns: (host.clock.now_ns - before.clock.now_ns) / 2, domains, groups, pcpus };
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
  byId('sample-note').textContent = `Last sample: simulated ${formatSeconds(sample.now_ns)} s, over ${formatSeconds(sample.window_ns)} s of simulated time, ${from === 'stream' ? 'from the event stream' : 'worked out from successive CPU times'}.`;
  state.shares = new Map([...sample.domains].map(([id, pct]) => [id, { observed_pct: pct, ...state.expected?.get(id) }]));
  state.groupShares = sample.groups;
  renderShares(state.shares);
  renderGroupShares(state.groupShares);
  renderPcpus(state.pcpus, sample.pcpus, state.domains);
  const expected = state.expected === undefined ? undefined : new Map([...state.expected].map(([id, share]) => [id, share.expected_pct]));
  chart.add({ t_s: Date.now() / 1000, observed: sample.domains, expected });
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
    const report = await call('GET', `/host/usage?window_ms=${EXPECTED_WINDOW_MS}`);
    const expected = new Map();
    for (const item of report.domains ?? []) {
      const id = item.id ?? item.domain;
      if (typeof id === 'number' && typeof item.expected_pct === 'number') expected.set(id, { expected_pct: item.expected_pct, ...(item.reason ? { reason: item.reason } : {}) });
    }
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
    onEvent: (event) => {
      if (event.type === 'usage') {
        usage.fromEvent(JSON.parse(event.data));
        if (performance.now() - state.refreshedAt > STATE_EVERY_MS) scheduleRefresh();
      } else {
        scheduleRefresh();
      }
    },
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
    void withError(byId('scheduler-error'), async () => {
      renderScheduler(await call('PUT', '/scheduler', {
        tslice_ms: Number(byId('tslice').value),
        ratelimit_us: Number(byId('ratelimit').value),
        accounting: byId('accounting').value,
      }));
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
    void withError(byId('group-error'), async () => {
      await call('POST', `/scheduling-domains/${encodeURIComponent(byId('group-master').value)}/members`, { domain: byId('group-member').value });
      scheduleRefresh();
    });
  });
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
}

onTokenNeeded(askTokenWithDialog);
wireControls();
usage.start();
void refreshExpected();
connectStream();
