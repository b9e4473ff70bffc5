// The catalogue page's one script (docs/preflight-api.md): the filter, the preflight form,
// and, when the service needs an API key, loading the apps with it. Values only ever reach
// the page as text (textContent), never as HTML. The key lives in this module's memory:
// never in storage or cookies, gone when the tab is closed or reloaded.

let apiKey = null

const $ = (id) => document.getElementById(id)

/** A DOM element with attributes and children; strings become text nodes. */
function el (tag, attrs, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value)
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child)
  }
  return node
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`

function authHeaders () {
  return apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }
}

// --- the filter: every term must appear in an environment or its app's header ---

function applyFilter () {
  const terms = $('filter').value.toLowerCase().split(/\s+/).filter(Boolean)
  const apps = [...document.querySelectorAll('#apps [data-app]')]
  let shownEnvs = 0
  let totalEnvs = 0
  let shownApps = 0
  for (const app of apps) {
    const header = app.querySelector('header')?.textContent ?? ''
    let any = false
    for (const env of app.querySelectorAll('[data-env]')) {
      const text = `${header} ${env.textContent}`.toLowerCase()
      const match = terms.every((t) => text.includes(t))
      env.hidden = !match
      totalEnvs += 1
      if (match) shownEnvs += 1
      any ||= match
    }
    app.hidden = !any
    if (any) shownApps += 1
  }
  $('no-match').hidden = shownEnvs > 0 || totalEnvs === 0
  $('filter-count').textContent =
    terms.length === 0
      ? `${plural(totalEnvs, 'environment', 'environments')} of ${plural(apps.length, 'app', 'apps')}`
      : `Showing ${shownEnvs} of ${plural(totalEnvs, 'environment', 'environments')} (${shownApps} of ${plural(apps.length, 'app', 'apps')})`
}

// --- the apps, rendered from GET /v1/apps when the page is a keyed shell ---

function scopesBlock (app, env) {
  if (env.scopes.length === 0) {
    return el('p', { class: 'empty' }, 'No scope: this environment may request none (', el('code', {}, env.source), ').')
  }
  return el(
    'table',
    { class: 'scopes' },
    el('caption', { class: 'visually-hidden' }, `Scopes of ${app.app} / ${env.name}`),
    el('thead', {}, el('tr', {}, ['Scope', 'Reason', 'Where'].map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      {},
      env.scopes.map((s) =>
        el('tr', {}, el('td', {}, el('code', { class: 'scope' }, s.name)), el('td', {}, s.reason), el('td', {}, el('code', { class: 'source' }, s.source)))
      )
    )
  )
}

function fact (term, value) {
  return el('div', {}, el('dt', {}, term), el('dd', {}, value))
}

function environmentSection (app, env) {
  return el(
    'section',
    { class: 'env', 'data-env': '' },
    el('h4', {}, el('span', { class: 'env-name' }, env.name), ' ', el('span', { class: 'count' }, plural(env.scopes.length, 'scope', 'scopes'))),
    el(
      'dl',
      { class: 'facts' },
      fact('clientId', el('code', { class: 'client-id' }, env.clientId)),
      fact('Token endpoint', el('code', {}, env.tokenEndpoint)),
      fact('Auth method', env.dpop === true ? `${env.authMethod} + DPoP` : env.authMethod),
      env.resource === undefined ? null : fact('Resource', el('code', {}, env.resource))
    ),
    scopesBlock(app, env),
    el('button', { type: 'button', class: 'try', 'data-client-id': env.clientId, 'data-environment': env.name }, `Preflight ${env.clientId}`)
  )
}

function appArticle (app) {
  return el(
    'article',
    { class: 'app', 'data-app': '' },
    el(
      'header',
      {},
      el('h3', {}, app.app),
      el(
        'p',
        { class: 'meta' },
        el('span', {}, 'owner ', el('strong', { class: 'owner' }, app.owner)),
        ' ',
        el('span', { class: 'tag provider' }, app.provider),
        ' ',
        el('code', { class: 'file' }, app.file)
      ),
      app.description === undefined ? null : el('p', { class: 'description' }, app.description)
    ),
    app.environments.map((env) => environmentSection(app, env))
  )
}

function showApps (apps) {
  $('apps').replaceChildren(...apps.map(appArticle))
  $('client-ids').replaceChildren(
    ...apps.flatMap((a) => a.environments.map((e) => el('option', { value: e.clientId }, `${a.app} / ${e.name}`)))
  )
  $('filter').disabled = false
  applyFilter()
}

function keyMessage (text, isError) {
  const message = $('key-message')
  message.textContent = text
  message.classList.toggle('error', isError)
}

async function loadWithKey (event) {
  event.preventDefault()
  const input = $('api-key')
  const candidate = input.value.trim()
  if (candidate === '') {
    keyMessage('Enter a key first.', true)
    input.focus()
    return
  }
  keyMessage('Loading…', false)
  let res
  try {
    res = await fetch('/v1/apps', { headers: { authorization: `Bearer ${candidate}` }, cache: 'no-store' })
  } catch {
    keyMessage('The service did not answer; try again.', true)
    return
  }
  if (res.status === 401) {
    keyMessage('That key was refused (401): check it against PREFLIGHT_API_KEYS and enter it again.', true)
    input.select()
    return
  }
  if (!res.ok) {
    keyMessage(`Could not load the apps: HTTP ${res.status}.`, true)
    return
  }
  const body = await res.json()
  apiKey = candidate
  input.value = ''
  keyMessage(`Key accepted: ${plural(body.apps.length, 'app', 'apps')} loaded. It is kept in this tab only.`, false)
  $('forget-key').hidden = false
  showApps(body.apps)
}

function forgetKey () {
  apiKey = null
  $('apps').replaceChildren()
  $('client-ids').replaceChildren()
  $('filter').value = ''
  $('filter').disabled = true
  $('filter-count').textContent = 'Enter a key to load the apps.'
  $('no-match').hidden = true
  $('preflight-result').replaceChildren()
  $('forget-key').hidden = true
  keyMessage('The key is forgotten.', false)
  $('api-key').focus()
}

// --- the preflight form ---

function showResult (kind, ...children) {
  const result = $('preflight-result')
  result.className = `result ${kind}`
  result.replaceChildren(...children)
}

function violationItem (v) {
  return el(
    'li',
    {},
    v.scope ? el('code', {}, v.scope) : null,
    v.scope ? ' ' : null,
    el('span', { class: 'violation-code' }, v.code),
    el('p', {}, v.message),
    v.suggestion === undefined ? null : el('p', { class: 'suggestion' }, 'Suggestion: request ', el('code', {}, v.suggestion))
  )
}

async function runPreflight (event) {
  event.preventDefault()
  const form = event.currentTarget
  const clientId = form.elements.clientId.value.trim()
  const environment = form.elements.environment.value.trim()
  const scopes = form.elements.scopes.value.trim()
  if (clientId === '') {
    showResult('error', el('p', {}, 'Enter a clientId.'))
    form.elements.clientId.focus()
    return
  }
  const body = { clientId, scopes, ...(environment === '' ? {} : { environment }) }
  showResult('', el('p', {}, 'Checking…'))
  let res
  try {
    res = await fetch('/v1/preflight', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders() },
      body: JSON.stringify(body),
    })
  } catch {
    showResult('error', el('p', {}, 'The service did not answer; try again.'))
    return
  }
  const answer = await res.json().catch(() => null)
  if (res.status === 200 && answer) {
    showResult(
      'ok',
      el('p', {}, el('strong', {}, 'Allowed. '), `${answer.app} / ${answer.environment} would request: `),
      answer.scopes.length === 0 ? el('p', { class: 'empty' }, 'no scope') : el('ul', {}, answer.scopes.map((s) => el('li', {}, el('code', {}, s))))
    )
  } else if (res.status === 422 && answer) {
    showResult(
      'denied',
      el('p', {}, el('strong', {}, 'Denied '), `(${answer.error}): ${plural(answer.violations.length, 'problem', 'problems')}`),
      el('ul', {}, answer.violations.map(violationItem))
    )
  } else if (res.status === 401) {
    showResult('error', el('p', {}, apiKey === null ? 'Enter an API key above first.' : 'The API key was refused (401).'))
  } else {
    showResult('error', el('p', {}, `HTTP ${res.status}: ${answer?.message ?? 'unexpected answer'}`))
  }
}

function prefill (event) {
  const button = event.target.closest('button.try')
  if (!button) return
  const form = $('preflight-form')
  form.elements.clientId.value = button.dataset.clientId
  form.elements.environment.value = button.dataset.environment
  form.elements.scopes.focus()
}

$('filter').addEventListener('input', applyFilter)
$('apps').addEventListener('click', prefill)
$('preflight-form').addEventListener('submit', runPreflight)
if (document.body.hasAttribute('data-keyed')) {
  $('key-form').addEventListener('submit', loadWithKey)
  $('forget-key').addEventListener('click', forgetKey)
} else {
  applyFilter()
}
