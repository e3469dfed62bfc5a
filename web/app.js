// kasad's dashboard: the devices, live from GET /events, switched with one
// click.  Plain JavaScript, nothing loaded from elsewhere.
//
// The event stream is read with fetch(), not EventSource, because kasad
// takes its token in the Authorization header only, never in a URL.
'use strict';

const TOKEN_KEY = 'kasad-token';
const QUIET_MS = 45000; // no byte for this long (heartbeats come every 15 s): a dead stream
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const TODAY_EVERY_MS = 5 * 60000; // today's energy: a plug round trip, so not often
const CHART_EVERY_MS = 60000; // the power chart: from kasad's memory, once a minute
const CHART_MINUTES = 180;
const TIMER_EVERY_MS = 60000; // the plug's countdown, read again once a minute
const FOUND_EVERY_MS = 60000; // GET /discovered: from kasad's memory, once a minute
const STREAM_BUFFER_MAX = 1 << 20;

const $ = (id) => document.getElementById(id);
const devicesEl = $('devices');
const connEl = $('conn');
const noticeEl = $('notice');
const cards = new Map(); // name -> {el, dev, seenAt, emeterAt, today, todayAt, todayBusy}
let token = sessionStorage.getItem(TOKEN_KEY) || '';
let attempts = 0;
let reconnectTimer = 0;
let streamAbort = null;
let seen = null; // names sent since the stream began or was reset

// --- Talking to kasad --------------------------------------------------------

function headers(extra) {
	const h = Object.assign({}, extra);
	if (token)
		h.Authorization = 'Bearer ' + token;
	return h;
}

class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

async function api(method, path, data) {
	const res = await fetch(path, {method, headers: headers({Accept: 'application/json'}),
				       cache: 'no-store', body: data});
	let body = null;
	try {
		body = await res.json();
	} catch (e) {
		// an answer without JSON: the status says enough
	}
	if (res.status === 401)
		askToken();
	if (!res.ok)
		throw new ApiError(res.status, (body && body.message) || 'HTTP ' + res.status);
	return body;
}

const url = (name, rest) => 'devices/' + encodeURIComponent(name) + (rest || '');

// --- Formatting -------------------------------------------------------------

const watts = new Intl.NumberFormat(undefined, {maximumFractionDigits: 1});
const kwh = new Intl.NumberFormat(undefined, {minimumFractionDigits: 2, maximumFractionDigits: 3});

function ago(ms) {
	const s = Math.max(0, Math.round(ms / 1000));
	if (s < 2)
		return 'just now';
	if (s < 60)
		return s + ' s ago';
	if (s < 3600)
		return Math.floor(s / 60) + ' min ago';
	return Math.floor(s / 3600) + ' h ago';
}

function setText(el, text) {
	if (el.textContent !== text)
		el.textContent = text;
}

// --- The cards ---------------------------------------------------------------

function cardFor(name) {
	let c = cards.get(name);
	if (c)
		return c;
	const el = $('device-template').content.firstElementChild.cloneNode(true);
	const id = 'dev-' + cards.size;
	el.dataset.device = name;
	el.querySelector('.alias').id = id;
	const sw = el.querySelector('.switch');
	sw.setAttribute('aria-labelledby', id);
	sw.addEventListener('click', () => flip(name, sw));
	c = {el, dev: null, seenAt: 0, emeterAt: 0, today: null, todayAt: 0, todayBusy: false,
	     chartAt: 0, chartBusy: false, days: null, dimming: false};
	const level = el.querySelector('.brightness');
	level.id = id + '-brightness';
	el.querySelector('.brightness-label').htmlFor = level.id;
	// While the slider moves, only its figure follows; the plug is asked
	// once it is let go (or a key has moved it).
	level.addEventListener('input', () => {
		c.dimming = true;
		showLevel(c, Number(level.value));
	});
	level.addEventListener('change', () => dim(c, level));
	const month = el.querySelector('.month-button');
	month.addEventListener('click', () => toggleMonth(c, month));
	for (const b of el.querySelectorAll('.timer-off'))
		b.addEventListener('click', () => setTimer(c, Number(b.dataset.minutes)));
	el.querySelector('.timer-cancel').addEventListener('click', () => cancelTimer(c));
	c.timerAt = 0;
	c.timerEnd = 0;
	cards.set(name, c);
	devicesEl.append(el);
	$('empty').hidden = true;
	return c;
}

function removeCard(name) {
	const c = cards.get(name);
	if (c) {
		c.el.remove();
		cards.delete(name);
	}
}

function setSwitch(sw, on, known) {
	sw.setAttribute('aria-checked', on ? 'true' : 'false');
	sw.classList.toggle('unknown', !known);
	setText(sw.querySelector('.switch-text'), known ? (on ? 'On' : 'Off') : '?');
	sw.disabled = !known;
}

// A strip's outlets, each with its state and power (an outlet that is a
// device of its own in kasad has its own card, and switch).
function renderOutlets(c) {
	const dev = c.dev;
	const list = c.el.querySelector('.outlets');
	const outlets = dev.outlets || [];
	list.hidden = outlets.length === 0;
	while (list.children.length > outlets.length)
		list.lastElementChild.remove();
	outlets.forEach((o, i) => {
		let li = list.children[i];
		if (!li) {
			li = $('outlet-template').content.firstElementChild.cloneNode(true);
			const label = li.querySelector('.outlet-name');
			const sw = li.querySelector('.switch');
			label.id = c.el.querySelector('.alias').id + '-outlet-' + i;
			sw.setAttribute('aria-labelledby', label.id);
			sw.addEventListener('click', () => flipOutlet(c, i, sw));
			list.append(li);
		}
		li.classList.toggle('on', !!o.on);
		setText(li.querySelector('.outlet-name'), o.alias || 'Outlet ' + (o.outlet + 1));
		if (li.querySelector('.switch').getAttribute('aria-busy') !== 'true')
			setSwitch(li.querySelector('.switch'), !!o.on, dev.online);
		setText(li.querySelector('.outlet-power'),
			o.power_w !== undefined ? watts.format(o.power_w) + ' W' : '');
	});
}

function render(dev) {
	const c = cardFor(dev.name);
	const now = performance.now();
	c.dev = dev;
	c.seenAt = dev.age_ms === null || dev.age_ms === undefined ? 0 : now - dev.age_ms;
	c.emeterAt = dev.emeter ? now - dev.emeter.age_ms : 0;
	const el = c.el;
	const known = dev.on === true || dev.on === false;
	el.classList.toggle('offline', !dev.online);
	el.classList.toggle('on', dev.on === true);
	setText(el.querySelector('.alias'), dev.alias || dev.name);
	setText(el.querySelector('.name'), dev.name);
	let model = dev.model || '';
	if (dev.outlet !== undefined)
		model += (model ? ', ' : '') + 'outlet ' + (dev.outlet + 1) +
			(dev.strip_alias ? ' of ' + dev.strip_alias : '');
	setText(el.querySelector('.model'), model ? ' · ' + model : '');
	setSwitch(el.querySelector('.switch'), dev.on === true, known);
	setText(el.querySelector('.online'), dev.online ? 'Online' : 'Offline' +
		(dev.last_error ? ': ' + dev.last_error : ''));
	el.querySelector('.power-row').hidden = !dev.emeter;
	if (dev.emeter)
		setText(el.querySelector('.power'), watts.format(dev.emeter.power_w) + ' W');
	el.querySelector('.today-row').hidden = !dev.has_emeter;
	renderDimmer(c);
	el.querySelector('.figures').hidden = !dev.emeter && !dev.has_emeter;
	renderOutlets(c);
	tick(c, now);
	if (dev.has_emeter && dev.online && !c.todayBusy &&
	    (!c.todayAt || now - c.todayAt > TODAY_EVERY_MS))
		loadToday(c);
	if (dev.has_emeter && !c.chartBusy && (!c.chartAt || now - c.chartAt > CHART_EVERY_MS))
		loadChart(c);
	// A countdown is a relay's: none for a whole strip (its outlets have
	// theirs) nor over SMART here.
	if (known && dev.online && !dev.outlets && dev.protocol !== 'smart' && !c.timerBusy &&
	    (!c.timerAt || now - c.timerAt > TIMER_EVERY_MS))
		loadTimer(c);
}

// --- A dimmer's level ----------------------------------------------------------------

// The slider and its figure; a device without "brightness" has no dimmer.
function renderDimmer(c) {
	const dev = c.dev;
	const box = c.el.querySelector('.dimmer');
	box.hidden = typeof dev.brightness !== 'number';
	if (box.hidden)
		return;
	const level = c.el.querySelector('.brightness');
	level.disabled = !dev.online;
	// The user's hand wins over the stream while it is on the slider.
	if (!c.dimming) {
		level.value = String(dev.brightness);
		showLevel(c, dev.brightness);
	}
}

function showLevel(c, value) {
	const text = value + ' %';
	c.el.querySelector('.brightness').setAttribute('aria-valuetext', text);
	setText(c.el.querySelector('.brightness-value'), text);
}

// POST /brightness with the slider's level; the answer (the device) shows.
async function dim(c, level) {
	const value = Number(level.value);
	c.dimming = true;
	say(c, '.error', '');
	try {
		const dev = await api('POST', url(c.dev.name, '/brightness'),
				      JSON.stringify({brightness: value}));
		c.dimming = false;
		render(dev);
		say(c, '.note', 'Brightness ' + dev.brightness + ' %.');
	} catch (e) {
		c.dimming = false;
		renderDimmer(c);
		say(c, '.note', '');
		say(c, '.error', 'Could not set the brightness to ' + value + ' %: ' + e.message);
	}
}

// --- The countdown the plug keeps ----------------------------------------------

// GET /countdown: shown with its time left, counted down here; a device
// without one (a whole strip, a SMART plug) shows no controls.
async function loadTimer(c, verb, body) {
	c.timerBusy = true;
	try {
		showTimer(c, await api(verb || 'GET', url(c.dev.name, '/countdown'), body));
		say(c, '.error', '');
	} catch (e) {
		if (e.status === 404)
			c.el.querySelector('.timer').hidden = true;
		else if (verb)
			say(c, '.error', 'Countdown: ' + e.message);
	} finally {
		c.timerAt = performance.now();
		c.timerBusy = false;
	}
}

function showTimer(c, t) {
	c.el.querySelector('.timer').hidden = false;
	c.timerOn = t.on;
	c.timerEnd = t.pending && t.remaining_s !== null ? performance.now() + t.remaining_s * 1000 : 0;
	c.el.querySelector('.timer-cancel').hidden = !t.pending;
	tickTimer(c, performance.now());
}

function tickTimer(c, now) {
	let text = '';
	if (c.timerEnd) {
		const s = Math.max(0, Math.round((c.timerEnd - now) / 1000));
		const m = Math.floor(s / 60);
		text = (c.timerOn ? 'On' : 'Off') + ' in ' +
			(m >= 60 ? Math.floor(m / 60) + ':' + String(m % 60).padStart(2, '0') + ' h'
				 : m + ':' + String(s % 60).padStart(2, '0'));
	}
	setText(c.el.querySelector('.countdown'), text);
}

function setTimer(c, minutes) {
	loadTimer(c, 'POST', JSON.stringify({minutes, on: false}));
}

function cancelTimer(c) {
	loadTimer(c, 'DELETE');
}

// --- Charts ------------------------------------------------------------------

// The power of the last hours, from GET /history (kasad's memory), as a
// line over its area.  A gap of more than two steps breaks the line.
async function loadChart(c) {
	const name = c.dev.name;
	c.chartBusy = true;
	try {
		let h;
		try {
			h = await api('GET', url(name, '/history?minutes=' + CHART_MINUTES));
		} catch (e) {
			if (e.status !== 400)
				throw e;
			h = await api('GET', url(name, '/history')); // a shorter history
		}
		drawPower(c, h);
	} catch (e) {
		c.el.querySelector('.power-chart').hidden = true;
	} finally {
		// Too few samples for a line yet: ask again soon, not in a minute.
		c.chartAt = performance.now() -
			(c.el.querySelector('.power-chart').hidden ? CHART_EVERY_MS - 3000 : 0);
		c.chartBusy = false;
	}
}

function drawPower(c, h) {
	const fig = c.el.querySelector('.power-chart');
	const s = h.samples || [];
	fig.hidden = s.length < 2;
	if (fig.hidden)
		return;
	const t0 = s[0].time, t1 = s[s.length - 1].time;
	const span = Math.max(1, t1 - t0);
	const peak = Math.max(...s.map((x) => x.power_w));
	const top = Math.max(1, peak * 1.15); // room above the highest value
	const x = (t) => ((t - t0) / span * 300).toFixed(1);
	const y = (w) => (62 - w / top * 58).toFixed(1);
	let line = '', area = '', start = null, last = null;
	const close = () => {
		if (start !== null)
			area += 'L' + x(last) + ' 64L' + x(start) + ' 64Z';
	};
	for (const p of s) {
		const gap = last === null || p.time - last > 2 * h.step_s;
		if (gap) {
			close();
			start = p.time;
			line += 'M' + x(p.time) + ' ' + y(p.power_w);
			area += 'M' + x(p.time) + ' 64L' + x(p.time) + ' ' + y(p.power_w);
		} else {
			line += 'L' + x(p.time) + ' ' + y(p.power_w);
			area += 'L' + x(p.time) + ' ' + y(p.power_w);
		}
		last = p.time;
	}
	close();
	const svg = fig.querySelector('svg');
	svg.querySelector('.line').setAttribute('d', line);
	svg.querySelector('.area').setAttribute('d', area);
	const during = span < 90 ? Math.round(span) + ' s'
		: span < 5400 ? Math.round(span / 60) + ' min'
		: Math.round(span / 3600) + ' h';
	const text = 'Power, last ' + during + ': up to ' + watts.format(peak) + ' W';
	svg.setAttribute('aria-label', text);
	setText(fig.querySelector('.chart-caption'), text);
}

// The energy of each day this month, from the plug's own statistics
// (/emeter/daily), as bars; shown when asked.
async function toggleMonth(c, button) {
	const fig = c.el.querySelector('.month-chart');
	const open = button.getAttribute('aria-expanded') !== 'true';
	button.setAttribute('aria-expanded', open ? 'true' : 'false');
	fig.hidden = !open;
	if (!open)
		return;
	setText(fig.querySelector('.month-caption'), 'Loading…');
	try {
		const d = new Date();
		const body = await api('GET', url(c.dev.name, '/emeter/daily?year=' + d.getFullYear() +
						  '&month=' + (d.getMonth() + 1)));
		drawMonth(fig, body.days || [], d);
	} catch (e) {
		setText(fig.querySelector('.month-caption'), 'Not available: ' + e.message);
	}
}

function drawMonth(fig, days, d) {
	const svg = fig.querySelector('svg');
	const top = Math.max(0.001, ...days.map((x) => x.energy_kwh));
	while (svg.firstChild)
		svg.firstChild.remove();
	let total = 0;
	for (const day of days) {
		const r = document.createElementNS(svg.namespaceURI, 'rect');
		const h = day.energy_kwh / top * 60;
		r.setAttribute('x', ((day.day - 1) * 10 + 1).toString());
		r.setAttribute('width', '8');
		r.setAttribute('y', (64 - h).toFixed(1));
		r.setAttribute('height', h.toFixed(1));
		if (day.day === d.getDate())
			r.classList.add('today');
		svg.append(r);
		total += day.energy_kwh;
	}
	const text = 'Energy a day this month: ' + kwh.format(total) + ' kWh in all, up to ' +
		kwh.format(days.length ? top : 0) + ' kWh a day';
	svg.setAttribute('aria-label', text);
	setText(fig.querySelector('.month-caption'), text);
}

// The ages, every second.
function tick(c, now) {
	const el = c.el;
	tickTimer(c, now);
	setText(el.querySelector('.checked'), c.seenAt ? '· checked ' + ago(now - c.seenAt) : '');
	setText(el.querySelector('.power-age'), c.emeterAt ? ago(now - c.emeterAt) : '');
	setText(el.querySelector('.today-age'), c.todayAt ? ago(now - c.todayAt) : '');
}

setInterval(() => {
	const now = performance.now();
	for (const c of cards.values())
		tick(c, now);
}, 1000);

async function loadToday(c) {
	const name = c.dev.name;
	c.todayBusy = true;
	try {
		const d = new Date();
		const body = await api('GET', url(name, '/emeter/daily?year=' + d.getFullYear() +
						  '&month=' + (d.getMonth() + 1)));
		const day = (body.days || []).find((x) => x.day === d.getDate());
		c.today = day ? day.energy_kwh : 0;
		c.todayAt = performance.now();
		setText(c.el.querySelector('.today'), kwh.format(c.today) + ' kWh');
	} catch (e) {
		c.todayAt = performance.now(); // try again later, not on every event
		setText(c.el.querySelector('.today'), 'not available');
	} finally {
		c.todayBusy = false;
		tick(c, performance.now());
	}
}

function say(c, cls, text) {
	setText(c.el.querySelector(cls), text);
}

// One click: switch to the other state, show the answer or the error.
async function flip(name, sw) {
	const c = cards.get(name);
	if (!c || sw.getAttribute('aria-busy') === 'true')
		return;
	const on = sw.getAttribute('aria-checked') !== 'true';
	sw.setAttribute('aria-busy', 'true');
	say(c, '.error', '');
	say(c, '.note', 'Switching ' + (on ? 'on' : 'off') + '…');
	try {
		const dev = await api('POST', url(name, on ? '/on' : '/off'));
		render(dev);
		say(c, '.note', 'Switched ' + (dev.on ? 'on' : 'off') + '.');
	} catch (e) {
		say(c, '.note', '');
		say(c, '.error', 'Could not switch ' + (on ? 'on' : 'off') + ': ' + e.message);
	} finally {
		sw.removeAttribute('aria-busy');
	}
}

// One outlet of a strip, through /devices/NAME/outlets/N; the strip's card
// follows from the event stream, and at once from a read of the strip.
async function flipOutlet(c, i, sw) {
	const name = c.dev.name;
	const outlet = c.dev.outlets[i].outlet;
	if (sw.getAttribute('aria-busy') === 'true')
		return;
	const on = sw.getAttribute('aria-checked') !== 'true';
	sw.setAttribute('aria-busy', 'true');
	say(c, '.error', '');
	try {
		await api('POST', url(name, '/outlets/' + outlet + (on ? '/on' : '/off')));
		setSwitch(sw, on, true);
		sw.removeAttribute('aria-busy');
		render(await api('GET', url(name, '')));
	} catch (e) {
		say(c, '.error', 'Could not switch outlet ' + (outlet + 1) + ' ' + (on ? 'on' : 'off') +
			': ' + e.message);
	} finally {
		sw.removeAttribute('aria-busy');
	}
}

// --- Plugs found and not configured ---------------------------------------------

// GET /discovered: a quiet list below the devices, each with the section
// that would configure it, hidden when there is none (or kasad has no
// discovery, or the token may not read it).
let foundTimer = 0;

async function loadFound() {
	clearTimeout(foundTimer);
	foundTimer = setTimeout(loadFound, FOUND_EVERY_MS);
	let list = [];
	try {
		list = (await api('GET', 'discovered')).discovered || [];
	} catch (e) {
		// nothing to show
	}
	renderFound(list.filter((f) => f.config));
}

function renderFound(list) {
	const ul = $('found-list');
	$('found').hidden = list.length === 0;
	while (ul.children.length > list.length)
		ul.lastElementChild.remove();
	list.forEach((f, i) => {
		let li = ul.children[i];
		if (!li) {
			li = $('found-template').content.firstElementChild.cloneNode(true);
			const pre = li.querySelector('.found-config');
			li.querySelector('.found-copy').addEventListener('click',
				() => copyFound(pre, li.querySelector('.found-note')));
			ul.append(li);
		}
		li.dataset.mac = f.mac || '';
		setText(li.querySelector('.found-name'),
			(f.alias || f.model || 'A plug') + (f.alias && f.model ? ' (' + f.model + ')' : ''));
		setText(li.querySelector('.found-where'), '· ' + f.address + ':' + f.port + ', ' +
			f.transport + ', seen ' + ago(f.age_ms));
		setText(li.querySelector('.found-config'), f.config);
	});
}

// The clipboard where the page may write it (a secure context: https, or
// loopback); elsewhere the text is selected for the keyboard's copy.
async function copyFound(pre, note) {
	try {
		await navigator.clipboard.writeText(pre.textContent);
		setText(note, 'Copied.');
	} catch (e) {
		window.getSelection().selectAllChildren(pre);
		setText(note, 'Selected: copy it with the keyboard.');
	}
}

// --- The event stream --------------------------------------------------------

function setConn(state, text) {
	connEl.dataset.state = state;
	setText(connEl, text);
}

function onEvent(type, data) {
	if (type === 'device') {
		const dev = JSON.parse(data);
		if (seen)
			seen.add(dev.name);
		render(dev);
	} else if (type === 'snapshot') {
		// Devices that kasad no longer has (a reload, or while we were away).
		for (const name of [...cards.keys()])
			if (seen && !seen.has(name))
				removeCard(name);
		$('empty').hidden = cards.size > 0;
		attempts = 0;
		setConn('live', 'Live');
		loadFound(); // a reload may have configured some
	} else if (type === 'reset') {
		seen = new Set();
	}
}

// One block of lines up to a blank line: "event:", "data:" (maybe several),
// ":" comments (the heartbeat), "retry:" (for EventSource; unused here).
function onBlock(block) {
	let type = 'message';
	const data = [];
	for (const line of block.split('\n')) {
		if (line === '' || line[0] === ':')
			continue;
		const i = line.indexOf(':');
		const field = i < 0 ? line : line.slice(0, i);
		let value = i < 0 ? '' : line.slice(i + 1);
		if (value[0] === ' ')
			value = value.slice(1);
		if (field === 'event')
			type = value;
		else if (field === 'data')
			data.push(value);
	}
	if (data.length)
		onEvent(type, data.join('\n'));
}

function reconnect(afterMs) {
	clearTimeout(reconnectTimer);
	const delay = afterMs !== undefined ? afterMs :
		Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempts) * (0.5 + Math.random() / 2);
	attempts++;
	setConn('waiting', 'Reconnecting in ' + Math.ceil(delay / 1000) + ' s…');
	reconnectTimer = setTimeout(connect, delay);
}

async function connect() {
	clearTimeout(reconnectTimer);
	if (streamAbort)
		streamAbort.abort();
	const abort = new AbortController();
	streamAbort = abort;
	let quiet = 0;
	const restartQuiet = () => {
		clearTimeout(quiet);
		quiet = setTimeout(() => abort.abort(), QUIET_MS);
	};
	setConn('connecting', 'Connecting…');
	try {
		restartQuiet();
		const res = await fetch('events', {headers: headers({Accept: 'text/event-stream'}),
						   cache: 'no-store', signal: abort.signal});
		if (res.status === 401) {
			clearTimeout(quiet);
			setConn('auth', 'Needs a token');
			askToken();
			return;
		}
		if (!res.ok || !res.body) {
			clearTimeout(quiet);
			const retry = parseInt(res.headers.get('Retry-After'), 10);
			if (cards.size === 0)
				loadOnce();
			reconnect(retry > 0 ? retry * 1000 * (1 + Math.random()) : undefined);
			return;
		}
		seen = new Set();
		noticeEl.hidden = true;
		const reader = res.body.getReader();
		const decoder = new TextDecoder();
		let buf = '';
		for (;;) {
			const {value, done} = await reader.read();
			if (done)
				break;
			restartQuiet();
			buf += decoder.decode(value, {stream: true}).replace(/\r\n?/g, '\n');
			let end;
			while ((end = buf.indexOf('\n\n')) >= 0) {
				onBlock(buf.slice(0, end));
				buf = buf.slice(end + 2);
			}
			if (buf.length > STREAM_BUFFER_MAX)
				throw new Error('an event too large');
		}
	} catch (e) {
		if (streamAbort !== abort)
			return; // replaced by a newer stream
	} finally {
		clearTimeout(quiet);
	}
	if (streamAbort === abort)
		reconnect();
}

// The stream could not start (kasad busy): show the devices at least.
async function loadOnce() {
	try {
		const body = await api('GET', 'devices');
		body.devices.forEach(render);
		$('empty').hidden = cards.size > 0;
	} catch (e) {
		if (e.status !== 401) {
			noticeEl.hidden = false;
			setText(noticeEl, 'kasad does not answer: ' + e.message);
		}
	}
}

// --- The token ---------------------------------------------------------------

function askToken() {
	const dlg = $('token-dialog');
	$('token-button').hidden = false;
	const err = $('token-error');
	err.hidden = !token;
	setText(err, token ? 'kasad did not accept that token.' : '');
	if (!dlg.open)
		dlg.showModal();
}

$('token-form').addEventListener('submit', (ev) => {
	ev.preventDefault();
	const value = $('token-input').value.trim();
	if (!value)
		return;
	token = value;
	sessionStorage.setItem(TOKEN_KEY, token);
	$('token-input').value = '';
	$('token-dialog').close();
	attempts = 0;
	connect();
});
$('token-cancel').addEventListener('click', () => $('token-dialog').close());
$('token-button').addEventListener('click', askToken);

if (token)
	$('token-button').hidden = false;
connect();
