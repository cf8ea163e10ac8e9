// The personal tokens page: talks to the api's REST endpoints with the
// session cookie (the same calls curl makes), shows every server error where
// it belongs, and shows a token's value once, never storing it anywhere.
'use strict';

(() => {
  const PAGE_SIZE = 10;
  const DAY_MS = 86400000;
  const maxDurationDays = Number(
    document.querySelector('meta[name="tokengate-max-duration-days"]')?.content) || 366;

  const $ = (id) => document.getElementById(id);
  // owner: null for the user's own tokens, else the service account's name.
  const state = { user: null, page: 1, owner: null };
  // Where focus returns when a dialog closes.
  const openers = new WeakMap();

  // --- dates (UTC days, as the authority counts them) -------------------------

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }
  function dayFromToday(days) {
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    return isoDay(new Date(today + days * DAY_MS));
  }
  const todayDay = () => dayFromToday(0);
  const minUntil = () => dayFromToday(1);
  const maxUntil = () => dayFromToday(maxDurationDays);

  function formatLastUsed(value) {
    if (!value) return 'Never';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return value;
    return `${isoDay(date)} ${date.toISOString().slice(11, 16)} UTC`;
  }

  // --- the REST client --------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      const error = (body && body.error) || {};
      super(error.message || `The server answered ${status}`);
      this.status = status;
      this.code = error.code || '';
      this.details = error.details;
      this.retryAfter = retryAfter;
      // With an OpenID Connect provider a 401 says where a browser logs in.
      const loginUrl = error.details && error.details.login_url;
      this.loginUrl = typeof loginUrl === 'string' && /^\/(?![/\\])/.test(loginUrl) ? loginUrl : null;
    }
    // Field messages of a 422, by field name ("name", "until", …).
    fieldMessages() {
      const out = {};
      if (this.status !== 422 || !Array.isArray(this.details)) return out;
      for (const issue of this.details) {
        const location = Array.isArray(issue.location) ? issue.location : [];
        const field = location.length > 1 ? location[location.length - 1] : '';
        out[field] = out[field] ? `${out[field]} ${issue.message}` : issue.message;
      }
      return out;
    }
  }

  class NetworkError extends Error {}

  async function call(method, path, { json, form } = {}) {
    const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (json !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(json);
    } else if (form !== undefined) {
      init.body = new URLSearchParams(form);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new NetworkError(`The server could not be reached (${err.message}). Check your connection and retry.`);
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        if (response.ok) throw new NetworkError(`The server sent an unreadable answer (${err.message}).`);
      }
    }
    if (!response.ok) throw new ApiError(response.status, body, response.headers.get('Retry-After'));
    return body;
  }

  // --- messages ---------------------------------------------------------------

  // Outcome of an action; an error shown since the action began stays.
  function say(text) {
    $('page-status').textContent = text;
  }
  function complain(text) {
    $('page-status').textContent = '';
    $('page-error').textContent = text;
  }
  function clearMessages() {
    $('page-status').textContent = '';
    $('page-error').textContent = '';
  }

  // The text to show for an error that has no better place.
  function describe(err) {
    if (err instanceof ApiError) {
      if (err.status === 503) {
        const wait = err.retryAfter ? ` in ${err.retryAfter} s` : ' in a moment';
        return `The service is temporarily unavailable: ${err.message}. Please retry${wait}.`;
      }
      if (err.status === 422) {
        const fields = Object.values(err.fieldMessages()).join(' ');
        return fields ? `${err.message}: ${fields}` : err.message;
      }
      return `${err.message} (${err.status}).`;
    }
    return err.message || String(err);
  }

  // Off to the identity provider's login; back to this view afterwards.
  function goToLogin(loginUrl) {
    location.assign(`${loginUrl}?next=${encodeURIComponent(location.pathname + location.hash)}`);
  }

  // A 401 anywhere means the session is gone: back to the login form.
  function handleSessionLoss(err) {
    if (!(err instanceof ApiError) || err.status !== 401) return false;
    if (err.loginUrl) {
      goToLogin(err.loginUrl);
      return true;
    }
    closeAllDialogs();
    showLoggedOut('Your session has ended. Please log in again.');
    return true;
  }

  // --- dialogs: modal, focus kept inside, Escape closes, focus goes back ------

  // Whose tokens this page acts on, in every dialog, so nobody creates or
  // revokes a token of the wrong owner.
  function ownerText() {
    return state.owner
      ? `Owner: service account ${state.owner} (sa:${state.owner}), shared with its other managers`
      : `Owner: you (${state.user ? state.user.name : ''})`;
  }

  // The REST path of the current owner's tokens.
  function tokensPath(suffix = '') {
    const base = state.owner
      ? `/v1/service-accounts/${encodeURIComponent(state.owner)}/personal-tokens`
      : '/v1/personal-tokens';
    return base + suffix;
  }

  function openDialog(dialog, focusTarget, opener = document.activeElement) {
    openers.set(dialog, opener);
    dialog.querySelectorAll('[data-owner-line]').forEach((line) => {
      line.textContent = ownerText();
      line.classList.toggle('service-account', Boolean(state.owner));
    });
    dialog.showModal();
    (focusTarget || dialog.querySelector('input, textarea, button')).focus();
  }

  function closeDialog(dialog) {
    if (dialog.open) dialog.close();
  }

  function closeAllDialogs() {
    document.querySelectorAll('dialog[open]').forEach((d) => d.close());
  }

  function focusableIn(dialog) {
    return [...dialog.querySelectorAll('a[href], button, input, textarea, select, [tabindex]:not([tabindex="-1"])')]
      .filter((el) => !el.disabled && el.offsetParent !== null);
  }

  function setUpDialog(dialog, onClose) {
    dialog.addEventListener('keydown', (event) => {
      if (event.key !== 'Tab') return;
      const items = focusableIn(dialog);
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    dialog.querySelectorAll('[data-close]').forEach((button) =>
      button.addEventListener('click', () => closeDialog(dialog)));
    dialog.addEventListener('close', () => {
      if (onClose) onClose();
      const opener = openers.get(dialog);
      openers.delete(dialog);
      if (document.querySelector('dialog[open]')) return;
      if (opener && document.contains(opener) && !opener.closest('[hidden]')) {
        opener.focus();
      } else if (!$('tokens-view').hidden) {
        $('tokens-title').focus();
      }
    });
  }

  function setFieldError(input, message) {
    const error = $(input.dataset.error || `${input.id}-error`);
    error.textContent = message || '';
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  function clearForm(form) {
    form.querySelectorAll('input').forEach((input) => setFieldError(input, ''));
    form.querySelectorAll('.form-error').forEach((p) => { p.textContent = ''; });
  }

  // Puts a failed submit's error where it belongs: 401 → login, 422 → next to
  // the fields (or the form when the field is unknown), anything else → the form.
  function showFormError(form, err, fields) {
    if (handleSessionLoss(err)) return;
    const formError = form.querySelector('.form-error');
    if (err instanceof ApiError && err.status === 422) {
      const messages = err.fieldMessages();
      const unplaced = [];
      for (const [name, message] of Object.entries(messages)) {
        if (fields[name]) setFieldError(fields[name], message);
        else unplaced.push(message);
      }
      formError.textContent = unplaced.length
        ? `${err.message}: ${unplaced.join(' ')}`
        : 'Please correct the marked field.';
      const firstBad = Object.keys(messages).map((n) => fields[n]).find(Boolean);
      if (firstBad) firstBad.focus();
      return;
    }
    formError.textContent = describe(err);
  }

  // "a, b ,c" → ["a", "b", "c"]; blanks and empty entries dropped.
  function listOf(text) {
    return text.split(',').map((entry) => entry.trim()).filter(Boolean);
  }

  // The field's comma-separated list, or null after marking what `check` finds wrong.
  function checkedList(input, check) {
    const list = listOf(input.value);
    const problem = check(list);
    if (!problem) return list;
    setFieldError(input, problem);
    return null;
  }

  // The server's rules for namespace patterns and networks, checked first so
  // the field says what is wrong before anything is sent ('' when fine).
  const MAX_LIMIT_ENTRIES = 20;
  function checkNamespaces(list) {
    if (list.length > MAX_LIMIT_ENTRIES) return `At most ${MAX_LIMIT_ENTRIES} namespaces.`;
    const long = list.find((entry) => entry.length > 255);
    if (long) return 'A namespace has at most 255 characters.';
    if (new Set(list).size !== list.length) return 'A namespace is listed twice.';
    return '';
  }

  const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
  function checkNetworks(list) {
    if (list.length > MAX_LIMIT_ENTRIES) return `At most ${MAX_LIMIT_ENTRIES} networks.`;
    for (const entry of list) {
      const [address, bits, extra] = entry.split('/');
      const v4 = IPV4.test(address);
      const v6 = !v4 && address.includes(':') && /^[0-9a-fA-F:.]+$/.test(address);
      const max = v4 ? 32 : 128;
      const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
      if ((!v4 && !v6) || !prefixOk || extra !== undefined) {
        return `"${entry}" is not an address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32).`;
      }
    }
    if (new Set(list).size !== list.length) return 'A network is listed twice.';
    return '';
  }

  // Our own check of a date field before the server's: empty is allowed when
  // `optional`, otherwise within [tomorrow, today + max duration].
  function checkUntil(input, optional) {
    const value = input.value;
    if (!value) {
      if (optional && !input.validity.badInput) return true;
      setFieldError(input, optional ? 'Enter a valid date.' : 'Choose a date.');
      return false;
    }
    if (value < input.min) {
      setFieldError(input, `The date must be in the future: ${input.min} or later.`);
      return false;
    }
    if (value > input.max) {
      setFieldError(input, `The date can be at most ${maxDurationDays} days ahead: ${input.max} or earlier.`);
      return false;
    }
    return true;
  }

  function limitUntil(input, hint) {
    input.min = minUntil();
    input.max = maxUntil();
    $(hint).textContent = `From ${input.min} to ${input.max} (at most ${maxDurationDays} days ahead).`;
  }

  // --- the token's value, shown once -----------------------------------------

  async function copyContent() {
    const status = $('content-copy-status');
    const value = $('content-value').value;
    if (!value) return;
    try {
      if (!navigator.clipboard) throw new Error('the clipboard is not available on this page');
      await navigator.clipboard.writeText(value);
      status.className = 'copy-status ok';
      status.textContent = 'Copied to the clipboard.';
    } catch (err) {
      status.className = 'copy-status error';
      status.textContent = `Could not copy automatically (${err.message}): select the value and copy it yourself.`;
    }
  }

  // `oldWorksFor`: after a refresh, "" (the old value died) or how long it still works.
  function showContent(issued, refreshed, oldWorksFor = '') {
    $('content-title').textContent = refreshed
      ? `New value of "${issued.data.name}"`
      : `Token "${issued.data.name}" created`;
    const old = oldWorksFor ? `the old value keeps working for ${oldWorksFor}` : 'the old value no longer works';
    $('content-warning').textContent = refreshed
      ? `Copy this value now and replace the old one wherever it is used: ${old}, and this one cannot be shown again.`
      : `Copy this value now: it cannot be shown again. It works through ${issued.data.until} (UTC).`;
    const field = $('content-value');
    field.value = issued.content;
    $('content-copy-status').textContent = '';
    openDialog($('content-dialog'), field, refreshed ? null : $('create-button'));
    // Tall enough for the whole value, so nobody copies half of it by hand.
    field.style.height = 'auto';
    field.style.height = `${field.scrollHeight + 4}px`;
    field.select();
    copyContent();
  }

  // --- the list ---------------------------------------------------------------

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  // "read & write", or what the token is limited to: "write only · spark-* · from 10.0.0.0/8".
  function accessSummary(token) {
    const scopes = token.scopes || [];
    const read = scopes.includes('all:read');
    const write = scopes.includes('all:write');
    const parts = [read && write ? 'read & write' : read ? 'read only' : write ? 'write only' : '—'];
    if (token.namespaces && token.namespaces.length) parts.push(token.namespaces.join(', '));
    if (token.networks && token.networks.length) parts.push(`from ${token.networks.join(', ')}`);
    return parts.join(' · ');
  }

  function renderTokens(result) {
    const body = $('tokens-body');
    body.replaceChildren();
    const today = todayDay();
    for (const item of result.items) {
      const token = item.data;
      const row = document.createElement('tr');
      row.dataset.tokenId = item.id;
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = token.name;
      row.appendChild(name);
      cell(row, token.since);
      cell(row, token.until);
      cell(row, accessSummary(token));
      cell(row, formatLastUsed(token.last_used_at));
      const active = token.until >= today;
      const status = cell(row, '');
      const badge = document.createElement('span');
      badge.className = `badge ${active ? 'active' : 'expired'}`;
      badge.textContent = active ? 'Active' : 'Expired';
      // Refreshed with a grace: the old value works until then.
      if (token.retiring_until) {
        badge.className = 'badge expired';
        badge.textContent = `Retiring until ${formatLastUsed(token.retiring_until)}`;
      }
      status.appendChild(badge);
      const actions = cell(row, '', 'actions-cell');
      const history = document.createElement('button');
      history.type = 'button';
      history.className = 'secondary';
      history.textContent = 'History';
      history.setAttribute('aria-label', `History of ${token.name}`);
      history.addEventListener('click', () => openHistory(item));
      const refresh = document.createElement('button');
      refresh.type = 'button';
      refresh.className = 'secondary';
      refresh.textContent = 'Refresh';
      refresh.setAttribute('aria-label', `Refresh ${token.name}`);
      refresh.addEventListener('click', () => openRefresh(item));
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'danger';
      revoke.textContent = 'Revoke';
      revoke.setAttribute('aria-label', `Revoke ${token.name}`);
      revoke.addEventListener('click', () => openRevoke(item));
      actions.append(history, refresh, revoke);
      body.appendChild(row);
    }
    const meta = result.meta;
    const empty = meta.total_count === 0;
    $('tokens-empty').hidden = !empty;
    $('tokens-table-wrap').hidden = empty;
    $('pager').hidden = meta.pages_count <= 1;
    $('pager-label').textContent =
      `Page ${meta.page} of ${Math.max(meta.pages_count, 1)} (${meta.total_count} tokens)`;
    $('pager-previous').disabled = !meta.has_previous;
    $('pager-next').disabled = !meta.has_next;
  }

  async function loadTokens(page = state.page) {
    $('tokens-loading').hidden = false;
    try {
      let result = await call('GET', tokensPath(`?page=${page}&page_size=${PAGE_SIZE}`));
      // The last token of the last page went away: show the page before it.
      if (result.items.length === 0 && page > 1 && result.meta.total_count > 0) {
        page = result.meta.pages_count;
        result = await call('GET', tokensPath(`?page=${page}&page_size=${PAGE_SIZE}`));
      }
      state.page = page;
      renderTokens(result);
      return true;
    } catch (err) {
      if (!handleSessionLoss(err)) complain(`Could not load your tokens. ${describe(err)}`);
      return false;
    } finally {
      $('tokens-loading').hidden = true;
    }
  }

  // --- create, refresh, revoke ---------------------------------------------------

  function openCreate() {
    const form = $('create-form');
    form.reset();
    clearForm(form);
    limitUntil($('create-until'), 'create-until-hint');
    // A service account's token is an emitter's (write only) unless asked for more.
    $('create-read').checked = !state.owner;
    $('create-title').textContent = state.owner
      ? `Create a token of service account ${state.owner}` : 'Create a personal token';
    openDialog($('create-dialog'), $('create-name'));
  }

  async function submitCreate(event) {
    event.preventDefault();
    const form = $('create-form');
    const name = $('create-name');
    const until = $('create-until');
    clearForm(form);
    let ok = true;
    if (!name.value.trim()) {
      setFieldError(name, 'Enter a name for the token.');
      ok = false;
    }
    if (!checkUntil(until, true)) ok = false;
    const read = $('create-read');
    const write = $('create-write');
    if (!read.checked && !write.checked) {
      setFieldError(read, 'Choose Read, Write or both.');
      ok = false;
    }
    const namespaces = $('create-namespaces');
    const networks = $('create-networks');
    const namespaceList = checkedList(namespaces, checkNamespaces);
    const networkList = checkedList(networks, checkNetworks);
    if (!namespaceList || !networkList) ok = false;
    if (!ok) {
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    const body = { name: name.value.trim() };
    if (until.value) body.until = until.value;
    // Only what narrows the token is sent: a default token's request is the one it always was.
    // A service account's default is write only: its request always says what it wants.
    if (state.owner || !(read.checked && write.checked)) {
      body.scopes = [read.checked && 'all:read', write.checked && 'all:write'].filter(Boolean);
    }
    if (namespaceList.length) body.namespaces = namespaceList;
    if (networkList.length) body.networks = networkList;
    const submit = form.querySelector('[type="submit"]');
    submit.disabled = true;
    let issued;
    try {
      issued = await call('POST', tokensPath(), { json: body });
    } catch (err) {
      showFormError(form, err, { name, until, scopes: read, namespaces, networks });
      return;
    } finally {
      submit.disabled = false;
    }
    closeDialog($('create-dialog'));
    clearMessages();
    state.page = 1;
    await loadTokens(1);
    say(`Token "${issued.data.name}" created.`);
    showContent(issued, false);
  }

  let refreshing = null;

  function openRefresh(item) {
    refreshing = item;
    const form = $('refresh-form');
    form.reset();
    clearForm(form);
    $('refresh-name').textContent = `"${item.data.name}"`;
    const until = $('refresh-until');
    limitUntil(until, 'refresh-until-hint');
    until.value = until.max;
    openDialog($('refresh-dialog'), until);
  }

  async function submitRefresh(event) {
    event.preventDefault();
    const form = $('refresh-form');
    const until = $('refresh-until');
    clearForm(form);
    if (!checkUntil(until, false)) {
      until.focus();
      return;
    }
    const submit = form.querySelector('[type="submit"]');
    submit.disabled = true;
    const grace = $('refresh-grace');
    const graceSeconds = Number(grace.value);
    const body = { until: until.value };
    // Only when asked for: a refresh without one sends Data.Rentgen's body.
    if (graceSeconds > 0) body.grace_seconds = graceSeconds;
    let issued;
    try {
      issued = await call('PATCH', tokensPath(`/${encodeURIComponent(refreshing.id)}`), { json: body });
    } catch (err) {
      showFormError(form, err, { until });
      return;
    } finally {
      submit.disabled = false;
    }
    closeDialog($('refresh-dialog'));
    clearMessages();
    await loadTokens();
    const oldWorksFor = graceSeconds > 0 ? grace.selectedOptions[0].textContent : '';
    say(`Token "${issued.data.name}" refreshed; ${oldWorksFor ? `its old value works for ${oldWorksFor} more` : 'its old value no longer works'}.`);
    showContent(issued, true, oldWorksFor);
  }

  let revoking = null;

  function openRevoke(item) {
    revoking = item;
    clearForm($('revoke-form'));
    $('revoke-name').textContent = `"${item.data.name}"`;
    openDialog($('revoke-dialog'), $('revoke-dialog').querySelector('[data-close]'));
  }

  async function submitRevoke(event) {
    event.preventDefault();
    const form = $('revoke-form');
    const submit = form.querySelector('[type="submit"]');
    const item = revoking;
    submit.disabled = true;
    try {
      await call('DELETE', tokensPath(`/${encodeURIComponent(item.id)}`));
    } catch (err) {
      showFormError(form, err, {});
      return;
    } finally {
      submit.disabled = false;
    }
    closeDialog($('revoke-dialog'));
    clearMessages();
    await loadTokens();
    say(`Token "${item.data.name}" revoked; it no longer works anywhere.`);
  }

  // --- a token's history ----------------------------------------------------------

  const EVENT_LABELS = {
    'token.created': 'Created',
    'token.refreshed': 'Refreshed',
    'token.revoked': 'Revoked',
    'token.first_used': 'First used',
    'token.last_used': 'Last used',
    'token.expiry_notice': 'Expiry notice',
    'management.failed': 'Failed attempt',
    'token.used_after_revocation': 'Used after revocation',
    'token.used_after_expiry': 'Used after expiry',
  };
  const HISTORY_PAGE_SIZE = 20;
  const history = { item: null, page: 1, lastUseShown: false };

  function actorText(event) {
    if (event.actor_kind === 'admin') return `${event.actor_name} (admin)`;
    if (event.actor_kind === 'user') return event.actor_name;
    return event.actor_kind === 'system' ? 'system' : `${event.actor_name} (${event.actor_kind})`;
  }

  // "scopes=all:write namespaces=spark-*" from a create or refresh record's
  // detail; '' for other events and for a token with both scopes and no limits.
  function limitsOf(event) {
    if (event.event !== 'token.created' && event.event !== 'token.refreshed') return '';
    const start = (event.detail || '').indexOf('scopes=');
    const limits = start < 0 ? '' : event.detail.slice(start);
    return limits === 'scopes=all:read,all:write' ? '' : limits;
  }

  function renderHistory(result, append) {
    const body = $('history-body');
    if (!append) body.replaceChildren();
    for (const { data: event } of result.items) {
      const row = document.createElement('tr');
      row.dataset.event = event.event;
      cell(row, formatLastUsed(event.at));
      const what = cell(row, EVENT_LABELS[event.event] || event.event);
      if (event.detail) what.title = event.detail;
      // A narrow token's limits are part of what happened when it was created
      // or refreshed: shown, not only hovered. A default token's are not news.
      const limits = limitsOf(event);
      if (limits) {
        const shown = document.createElement('span');
        shown.className = 'event-detail';
        shown.textContent = limits;
        what.append(document.createElement('br'), shown);
      }
      cell(row, actorText(event));
      cell(row, event.client_address || '—');
      cell(row, event.user_agent || '—', 'user-agent');
      body.appendChild(row);
      // Newest first: the first use event met is the latest one.
      if (!history.lastUseShown && (event.event === 'token.last_used' || event.event === 'token.first_used')) {
        history.lastUseShown = true;
        $('history-last-use').textContent =
          `Last used ${formatLastUsed(event.at)} from ${event.client_address || 'an unknown address'}.`;
      }
    }
    if (!history.lastUseShown) {
      $('history-last-use').textContent = 'No use recorded yet (uses are recorded every few seconds).';
    }
    $('history-more').hidden = !result.meta.has_next;
  }

  async function loadHistory(page) {
    const item = history.item;
    $('history-loading').hidden = false;
    $('history-error').textContent = '';
    try {
      const result = await call('GET', tokensPath(`/${encodeURIComponent(item.id)}/events`) +
                                       `?page=${page}&page_size=${HISTORY_PAGE_SIZE}`);
      if (history.item !== item) return;  // Closed or another token opened meanwhile.
      history.page = page;
      renderHistory(result, page > 1);
    } catch (err) {
      if (!handleSessionLoss(err)) $('history-error').textContent = `Could not load the history. ${describe(err)}`;
    } finally {
      $('history-loading').hidden = true;
    }
  }

  function openHistory(item) {
    history.item = item;
    history.lastUseShown = false;
    $('history-name').textContent = `"${item.data.name}"`;
    $('history-last-use').textContent = '';
    $('history-body').replaceChildren();
    $('history-more').hidden = true;
    openDialog($('history-dialog'), $('history-dialog').querySelector('[data-close]'));
    loadHistory(1);
  }

  // --- login, logout, views ------------------------------------------------------

  function showView(name) {
    for (const view of ['login-view', 'home-view', 'accounts-view', 'tokens-view']) $(view).hidden = view !== name;
  }

  function showLoggedOut(message) {
    state.user = null;
    $('user-menu').hidden = true;
    closeMenu(false);
    showView('login-view');
    $('login-form').reset();
    clearForm($('login-form'));
    if (message) complain(message);
    $('login-username').focus();
  }

  async function route() {
    if (!state.user) return;
    clearMessages();
    const account = /^#service-accounts\/(.+)$/.exec(location.hash);
    if (location.hash === '#personal-tokens' || account) {
      const owner = account ? decodeURIComponent(account[1]) : null;
      if (owner !== state.owner) state.page = 1;
      state.owner = owner;
      const title = owner ? `Tokens of service account ${owner}` : 'Personal tokens';
      $('tokens-title').textContent = title;
      $('tokens-owner').hidden = !owner;
      $('tokens-owner').textContent = owner ? ownerText() : '';
      $('tokens-hint').hidden = Boolean(owner);
      $('tokens-empty-text').textContent = owner
        ? `Service account ${owner} has no tokens yet.` : 'You have no personal tokens yet.';
      showView('tokens-view');
      document.title = `${title} - tokengate`;
      await loadTokens();
    } else if (location.hash === '#service-accounts') {
      showView('accounts-view');
      document.title = 'Service accounts - tokengate';
      await loadAccounts();
    } else {
      showView('home-view');
      document.title = 'tokengate';
    }
  }

  // The accounts the user manages: the menu shows "Service accounts" when there are any.
  async function loadAccounts() {
    let items = [];
    try {
      items = (await call('GET', '/v1/service-accounts')).items;
    } catch (err) {
      if (!handleSessionLoss(err)) complain(`Could not load your service accounts. ${describe(err)}`);
    }
    $('menu-service-accounts-item').hidden = items.length === 0;
    const list = $('accounts-list');
    list.replaceChildren();
    for (const item of items) {
      const entry = document.createElement('li');
      const link = document.createElement('a');
      link.href = `#service-accounts/${encodeURIComponent(item.id)}`;
      link.textContent = item.data.name;
      entry.appendChild(link);
      if (item.data.description) entry.append(` — ${item.data.description}`);
      list.appendChild(entry);
    }
    if (items.length === 0) {
      const entry = document.createElement('li');
      entry.textContent = 'You manage no service account.';
      list.appendChild(entry);
    }
  }

  async function showLoggedIn(user) {
    state.user = user;
    // Personal tokens (a service account's own, say) cannot list accounts: a login only.
    await loadAccounts();
    $('user-name').textContent = user.name;
    $('home-user').textContent = user.name;
    $('user-menu').hidden = false;
    return route();
  }

  async function submitLogin(event) {
    event.preventDefault();
    const form = $('login-form');
    const username = $('login-username');
    const password = $('login-password');
    clearForm(form);
    let ok = true;
    for (const [input, what] of [[username, 'username'], [password, 'password']]) {
      if (!input.value) {
        setFieldError(input, `Enter your ${what}.`);
        ok = false;
      }
    }
    if (!ok) {
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    const submit = form.querySelector('[type="submit"]');
    submit.disabled = true;
    try {
      await call('POST', '/v1/auth/token', { form: { username: username.value, password: password.value } });
      const user = await call('GET', '/v1/users/me');
      clearMessages();
      await showLoggedIn(user);
      $('user-menu-button').focus();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        $('login-error').textContent = `${err.message}.`;
      } else {
        showFormError(form, err, { username, password });
      }
    } finally {
      submit.disabled = false;
    }
  }

  async function logout() {
    closeMenu(false);
    try {
      const answer = await call('POST', '/v1/auth/logout');
      // An OpenID Connect session also ends at the identity provider, in this browser too.
      if (answer && typeof answer.logout_url === 'string') {
        location.assign(answer.logout_url);
        return;
      }
      showLoggedOut();
      clearMessages();
      say('You are logged out.');
    } catch (err) {
      complain(`Could not log out. ${describe(err)}`);
    }
  }

  // --- the user menu (menu button pattern) -------------------------------------

  const menuItems = () => [...$('user-menu-list').querySelectorAll('[role="menuitem"]')]
    .filter((item) => !item.closest('[hidden]'));

  function openMenu(focusIndex) {
    $('user-menu-list').hidden = false;
    $('user-menu-button').setAttribute('aria-expanded', 'true');
    const items = menuItems();
    items[(focusIndex + items.length) % items.length].focus();
  }

  function closeMenu(focusButton) {
    $('user-menu-list').hidden = true;
    $('user-menu-button').setAttribute('aria-expanded', 'false');
    if (focusButton) $('user-menu-button').focus();
  }

  function setUpMenu() {
    const button = $('user-menu-button');
    button.addEventListener('click', () => {
      if ($('user-menu-list').hidden) openMenu(0);
      else closeMenu(true);
    });
    button.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown') { event.preventDefault(); openMenu(0); }
      if (event.key === 'ArrowUp') { event.preventDefault(); openMenu(-1); }
    });
    $('user-menu-list').addEventListener('keydown', (event) => {
      const items = menuItems();
      const index = items.indexOf(document.activeElement);
      const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: items.length - 1 };
      if (event.key in moves) {
        event.preventDefault();
        items[(moves[event.key] + items.length) % items.length].focus();
      } else if (event.key === 'Escape') {
        event.preventDefault();
        closeMenu(true);
      } else if (event.key === 'Tab') {
        closeMenu(false);
      }
    });
    $('user-menu').addEventListener('focusout', (event) => {
      if (!$('user-menu').contains(event.relatedTarget)) closeMenu(false);
    });
    $('menu-personal-tokens').addEventListener('click', () => {
      closeMenu(false);
      // Same hash: hashchange does not fire, so reload the list here.
      if (location.hash === '#personal-tokens') route();
      $('main').focus();
    });
    $('menu-service-accounts').addEventListener('click', () => {
      closeMenu(false);
      if (location.hash === '#service-accounts') route();
      $('main').focus();
    });
    $('menu-logout').addEventListener('click', logout);
  }

  // --- start ------------------------------------------------------------------

  async function start() {
    setUpMenu();
    setUpDialog($('create-dialog'));
    setUpDialog($('refresh-dialog'), () => { refreshing = null; });
    setUpDialog($('revoke-dialog'), () => { revoking = null; });
    setUpDialog($('history-dialog'), () => { history.item = null; });
    $('history-more').addEventListener('click', () => loadHistory(history.page + 1));
    // The value lives only while its dialog is open.
    setUpDialog($('content-dialog'), () => {
      $('content-value').value = '';
      $('content-copy-status').textContent = '';
    });
    $('login-form').addEventListener('submit', submitLogin);
    $('create-form').addEventListener('submit', submitCreate);
    $('refresh-form').addEventListener('submit', submitRefresh);
    $('revoke-form').addEventListener('submit', submitRevoke);
    $('create-button').addEventListener('click', openCreate);
    $('create-first-button').addEventListener('click', openCreate);
    $('refresh-reset').addEventListener('click', () => {
      const until = $('refresh-until');
      until.value = until.max;
      setFieldError(until, '');
      until.focus();
    });
    $('content-copy').addEventListener('click', copyContent);
    $('pager-previous').addEventListener('click', () => loadTokens(state.page - 1));
    $('pager-next').addEventListener('click', () => loadTokens(state.page + 1));
    window.addEventListener('hashchange', route);
    $('leak-help-origin').textContent = window.location.origin;

    try {
      const user = await call('GET', '/v1/users/me');
      await showLoggedIn(user);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && err.loginUrl) goToLogin(err.loginUrl);
      else if (err instanceof ApiError && err.status === 401) showLoggedOut();
      else {
        showView('login-view');
        complain(`Could not check your session. ${describe(err)}`);
      }
    }
  }

  start();
})();
