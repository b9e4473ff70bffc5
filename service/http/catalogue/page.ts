// The catalogue page (docs/preflight-api.md): server-rendered HTML, every value escaped by
// the `html` tag. Script and style come from /assets (the CSP allows no inline code).
// With API keys set the page is a shell holding no policy data: the script asks for a key
// and renders GET /v1/apps with the DOM (assets/catalogue.js).
import type { PolicyStatus } from '../policy-store.js'
import { html, type Html } from './html.js'
import type { CatalogueApp, CatalogueEnvironment } from './model.js'

export type PageData = { keyed: true; status: PolicyStatus } | { keyed: false; status: PolicyStatus; apps: CatalogueApp[] }

function scopesTable (app: CatalogueApp, env: CatalogueEnvironment): Html {
  if (env.scopes.length === 0) {
    return html`<p class="empty">No scope: this environment may request none (<code>${env.source}</code>).</p>`
  }
  return html`<table class="scopes">
<caption class="visually-hidden">Scopes of ${app.app} / ${env.name}</caption>
<thead><tr><th scope="col">Scope</th><th scope="col">Reason</th><th scope="col">Where</th></tr></thead>
<tbody>${env.scopes.map(
    (s) => html`<tr><td><code class="scope">${s.name}</code></td><td>${s.reason}</td><td><code class="source">${s.source}</code></td></tr>`
  )}</tbody>
</table>`
}

function environmentSection (app: CatalogueApp, env: CatalogueEnvironment): Html {
  return html`<section class="env" data-env>
<h4><span class="env-name">${env.name}</span> <span class="count">${env.scopes.length} ${env.scopes.length === 1 ? 'scope' : 'scopes'}</span></h4>
<dl class="facts">
<div><dt>clientId</dt><dd><code class="client-id">${env.clientId}</code></dd></div>
<div><dt>Token endpoint</dt><dd><code>${env.tokenEndpoint}</code></dd></div>
<div><dt>Auth method</dt><dd>${env.authMethod}${env.dpop === true ? ' + DPoP' : ''}</dd></div>
${env.resource === undefined ? '' : html`<div><dt>Resource</dt><dd><code>${env.resource}</code></dd></div>`}
</dl>
${scopesTable(app, env)}
<button type="button" class="try" data-client-id="${env.clientId}" data-environment="${env.name}">Preflight ${env.clientId}</button>
</section>`
}

function appArticle (app: CatalogueApp): Html {
  return html`<article class="app" data-app>
<header>
<h3>${app.app}</h3>
<p class="meta"><span>owner <strong class="owner">${app.owner}</strong></span> <span class="tag provider">${app.provider}</span> <code class="file">${app.file}</code></p>
${app.description === undefined ? '' : html`<p class="description">${app.description}</p>`}
</header>
${app.environments.map((env) => environmentSection(app, env))}
</article>`
}

function banner (status: PolicyStatus): Html | '' {
  if (status.ready) return ''
  return html`<div class="banner" role="alert">
<h2>Policies not ready</h2>
<p>${status.reason}</p>
${status.findings.length === 0 ? '' : html`<ul>${status.findings.map((f) => html`<li><code>${f}</code></li>`)}</ul>`}
<p><a href="/readyz">/readyz</a> answers 503 until the folder is fixed.</p>
</div>`
}

const keyForm = html`<section class="panel key" aria-labelledby="key-title">
<h2 id="key-title">API key</h2>
<p>This service needs an API key. It is kept in this tab only, never stored.</p>
<form id="key-form">
<label for="api-key">Key</label>
<div class="row"><input id="api-key" name="key" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit">Load the catalogue</button></div>
<p id="key-message" class="message" role="status" aria-live="polite"></p>
</form>
<button type="button" id="forget-key" hidden>Forget the key</button>
</section>`

function environmentCount (apps: CatalogueApp[]): string {
  const envs = apps.reduce((n, a) => n + a.environments.length, 0)
  return `${envs} ${envs === 1 ? 'environment' : 'environments'} of ${apps.length} ${apps.length === 1 ? 'app' : 'apps'}`
}

const preflightForm = html`<aside class="panel preflight" aria-labelledby="preflight-title">
<h2 id="preflight-title">Preflight a scope request</h2>
<p class="hint">Would this client_credentials request pass the policy?</p>
<form id="preflight-form" novalidate>
<label for="pf-client">clientId</label>
<input id="pf-client" name="clientId" list="client-ids" autocomplete="off" spellcheck="false" required>
<label for="pf-environment">Environment <span class="hint">(optional)</span></label>
<input id="pf-environment" name="environment" autocomplete="off" spellcheck="false">
<label for="pf-scopes">Scopes <span class="hint">(space-separated)</span></label>
<input id="pf-scopes" name="scopes" autocomplete="off" spellcheck="false" required>
<button type="submit">Check</button>
</form>
<div id="preflight-result" class="result" role="status" aria-live="polite"></div>
<noscript><p>The preflight form needs JavaScript; <code>POST /v1/preflight</code> answers without it.</p></noscript>
</aside>`

export function renderPage (data: PageData): string {
  const apps = data.keyed ? [] : data.apps
  return `<!doctype html>
${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Scope policy catalogue</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/catalogue.css">
<script type="module" src="/assets/catalogue.js"></script>
</head>
<body${data.keyed ? html` data-keyed` : ''}>
<a class="skip" href="#apps-title">Skip to the apps</a>
<header class="top">
<h1>Scope policy catalogue</h1>
<nav aria-label="Service"><a href="/docs">API docs</a> <a href="/openapi.json">OpenAPI</a> <a href="/readyz">Readiness</a></nav>
</header>
${banner(data.status)}
${data.keyed ? keyForm : ''}
<div class="layout">
<main id="catalogue" aria-labelledby="apps-title">
<h2 id="apps-title" tabindex="-1">Apps</h2>
<div class="filter">
<label for="filter">Filter</label>
<input id="filter" type="search" autocomplete="off" spellcheck="false" placeholder="app, owner, clientId, scope, reason…"${data.keyed ? html` disabled` : ''}>
<p id="filter-count" class="hint" role="status" aria-live="polite">${data.keyed ? 'Enter a key to load the apps.' : environmentCount(apps)}</p>
</div>
<div id="apps">${apps.map(appArticle)}</div>
<p id="no-match" class="empty" hidden>No environment matches the filter.</p>
</main>
${preflightForm}
</div>
<datalist id="client-ids">${apps.flatMap((a) => a.environments.map((e) => html`<option value="${e.clientId}">${a.app} / ${e.name}</option>`))}</datalist>
</body>
</html>
`}`
}
