// @ts-check
// Playground embed: <script src="<base>/embed.js" defer></script> on any page.
//
//   <pre data-playground>docker run --rm busybox echo hi</pre>   a click-to-run block
//   <pre data-playground="node2">…</pre>                        runs in the second instance
//   <div data-playground-terminal></div>                         where node1's terminal goes
//   <div data-playground-terminal="node2"></div>                 …and node2's
//   <script src="<base>/embed.js" data-lang="ko" defer>          the terminals' language (default:
//                                                                the page's <html lang>, else the browser's)
//
// Nothing starts until the reader clicks a block or a terminal's Start button: then one
// session is created for the page (as many instances as the page names, at least one) and
// the terminals are placed in their elements (or in a panel at the bottom right when the page
// has none). The page's origin must be in the playground's EMBED_ORIGINS. Documented in the
// README's "Embed a lab" section; the message protocol with the frames is in
// apps/web/src/lib/embed-messages.ts.
(() => {
  const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  if (!script) return;
  const base = new URL(script.src).origin;
  const SOURCE = 'playground-embed';
  const BLOCK = '[data-playground]';
  const TERMINAL = '[data-playground-terminal]';
  const POLL_MS = 3000;
  /** The playground's languages (apps/web/src/i18n/locales.ts); any other leaves the choice to the playground. */
  const LANGUAGES = ['en', 'ko'];

  /** The language the frames speak and the shells greet in: the script's data-lang, the page's lang, the browser's. */
  const language = [script.dataset.lang, document.documentElement.lang, navigator.language]
    .map((tag) => (tag || '').split(/[-_]/)[0].toLowerCase())
    .find((primary) => primary !== '');
  const lang = language && LANGUAGES.includes(language) ? language : undefined;

  /** @typedef {{ sessionId: string, instances: Map<string, { id: string, frame: HTMLIFrameElement, ready: Promise<void>, ports: HTMLElement, status: HTMLElement }> }} Workspace */
  /** @type {Promise<Workspace> | null} */
  let workspace = null;

  const style = document.createElement('style');
  style.textContent = `
    ${BLOCK} { position: relative; cursor: pointer; }
    ${BLOCK}::after { content: '▶ Run'; position: absolute; top: 6px; right: 8px; font: 12px monospace; opacity: .75; }
    ${BLOCK}:hover { outline: 2px solid #38bdf8; }
    .playground-embed { display: flex; flex-direction: column; min-height: 320px; border: 1px solid #1d2733; border-radius: 8px; overflow: hidden; background: #05080c; color: #d8e0ea; font: 13px system-ui, sans-serif; }
    .playground-embed iframe { flex: 1; width: 100%; min-height: 280px; border: 0; }
    .playground-embed-bar { display: flex; gap: 10px; align-items: center; padding: 6px 10px; background: #10161e; flex-wrap: wrap; }
    .playground-embed-bar a { color: #38bdf8; }
    .playground-embed-status[data-kind='error'] { color: #fca5a5; }
    .playground-embed-panel { position: fixed; right: 16px; bottom: 16px; width: min(640px, calc(100vw - 32px)); height: 360px; z-index: 2147483000; box-shadow: 0 20px 50px rgba(0,0,0,.5); }
  `;
  document.head.appendChild(style);

  /** The hostnames the page asks for, in order (node1 always first). */
  function hostnames() {
    const named = [...document.querySelectorAll(`${BLOCK}, ${TERMINAL}`)].map(
      (element) => element.getAttribute('data-playground') || element.getAttribute('data-playground-terminal') || 'node1',
    );
    return [...new Set(['node1', ...named])].sort();
  }

  /** Where a hostname's terminal goes: the page's element, or a panel we add. */
  function containerFor(hostname) {
    const asked = [...document.querySelectorAll(TERMINAL)].find((element) => (element.getAttribute('data-playground-terminal') || 'node1') === hostname);
    if (asked) return /** @type {HTMLElement} */ (asked);
    const panel = document.createElement('div');
    panel.className = 'playground-embed-panel';
    document.body.appendChild(panel);
    return panel;
  }

  /** A shell of the playground's API, with its error's message (never a stack). */
  async function api(method, path, body) {
    let response;
    try {
      response = await fetch(`${base}/api/v1${path}`, {
        method,
        credentials: 'include',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      // CORS hides why: a playground that answers an opaque request is up, so it refused
      // this page's origin (it is not in EMBED_ORIGINS).
      const reachable = await fetch(`${base}/api/v1/health`, { mode: 'no-cors' }).then(() => true, () => false);
      throw new Error(
        reachable
          ? `This site (${location.origin}) is not allowed to embed the playground: its operator can add it to EMBED_ORIGINS.`
          : `Could not reach the playground at ${base}.`,
      );
    }
    const data = await response.json().catch(() => ({}));
    if (response.ok) return data;
    const error = data && data.error ? data.error : {};
    if (error.code === 'origin_not_allowed') throw new Error(`This site (${location.origin}) is not allowed to embed the playground. ${error.message || ''}`.trim());
    if (response.status === 429 || response.status === 503) {
      const wait = response.headers.get('retry-after');
      throw new Error(`The playground is full right now${wait ? `: try again in ${wait} s` : ''}. ${error.message || ''}`.trim());
    }
    throw new Error(error.message || `The playground answered ${response.status}.`);
  }

  /** One terminal element: a status/ports bar and the frame. */
  function mount(hostname, sessionId, instanceId) {
    const container = containerFor(hostname);
    container.classList.add('playground-embed');
    container.replaceChildren();
    const bar = document.createElement('div');
    bar.className = 'playground-embed-bar';
    const status = document.createElement('span');
    status.className = 'playground-embed-status';
    status.setAttribute('role', 'status');
    status.textContent = `${hostname}: connecting…`;
    const ports = document.createElement('span');
    ports.className = 'playground-embed-ports';
    bar.append(status, ports);
    const frame = document.createElement('iframe');
    frame.title = `Terminal of ${hostname}`;
    frame.allow = 'clipboard-read; clipboard-write';
    frame.src = `${base}/embed/terminal?session=${encodeURIComponent(sessionId)}&instance=${encodeURIComponent(instanceId)}${lang ? `&lang=${lang}` : ''}`;
    container.append(bar, frame);
    const ready = new Promise((resolve) => {
      window.addEventListener('message', function listen(event) {
        if (event.source !== frame.contentWindow || !event.data || event.data.source !== SOURCE || event.data.state !== 'connected') return;
        window.removeEventListener('message', listen);
        status.textContent = `${hostname}: ready`;
        resolve(undefined);
      });
    });
    return { id: instanceId, frame, ready, ports, status };
  }

  /** Keeps each terminal's bar showing the ports its containers publish. */
  function watchPorts(current) {
    const timer = setInterval(async () => {
      if (document.hidden) return;
      try {
        const session = await api('GET', `/sessions/${current.sessionId}`);
        for (const view of session.instances || []) {
          const mounted = [...current.instances.values()].find((entry) => entry.id === view.id);
          if (!mounted) continue;
          mounted.ports.replaceChildren(
            ...(view.ports || []).map((port) => {
              const link = document.createElement('a');
              link.href = port.url;
              link.target = '_blank';
              link.rel = 'noopener';
              link.textContent = `port ${port.port} ↗`;
              return link;
            }),
          );
        }
      } catch (error) {
        clearInterval(timer);
        for (const entry of current.instances.values()) showError(entry.status, error);
      }
    }, POLL_MS);
  }

  function showError(element, error) {
    element.dataset.kind = 'error';
    element.textContent = error instanceof Error ? error.message : String(error);
  }

  async function startWorkspace() {
    const session = await api('POST', '/sessions', lang ? { language: lang } : {});
    /** @type {Workspace} */
    const current = { sessionId: session.id, instances: new Map() };
    for (const hostname of hostnames()) {
      const instance = await api('POST', `/sessions/${session.id}/instances`, {});
      current.instances.set(hostname, mount(hostname, session.id, instance.id));
    }
    watchPorts(current);
    return current;
  }

  function ensureWorkspace(statusElement) {
    if (!workspace) {
      statusElement.dataset.kind = '';
      statusElement.textContent = 'Starting the playground…';
      workspace = startWorkspace();
      workspace.catch((error) => {
        workspace = null; // a later click tries again
        showError(statusElement, error);
      });
    }
    return workspace;
  }

  /** A status line beside a block, for the time before its terminal exists (and for errors). */
  function blockStatus(block) {
    let status = block.nextElementSibling;
    if (!status || !status.classList.contains('playground-embed-status')) {
      status = document.createElement('div');
      status.className = 'playground-embed-status';
      status.setAttribute('role', 'status');
      block.after(status);
    }
    return /** @type {HTMLElement} */ (status);
  }

  async function run(block) {
    const status = blockStatus(block);
    const hostname = block.getAttribute('data-playground') || 'node1';
    try {
      const current = await ensureWorkspace(status);
      const target = current.instances.get(hostname);
      if (!target) throw new Error(`This page has no instance named ${hostname}.`);
      await target.ready;
      status.textContent = '';
      target.frame.contentWindow?.postMessage({ source: SOURCE, type: 'run', code: block.textContent || '' }, base);
    } catch (error) {
      showError(status, error);
    }
  }

  document.addEventListener('click', (event) => {
    const block = event.target instanceof Element ? event.target.closest(BLOCK) : null;
    if (block) void run(block);
  });

  // Terminals the page placed get a Start button until the workspace exists.
  for (const element of document.querySelectorAll(TERMINAL)) {
    const container = /** @type {HTMLElement} */ (element);
    container.classList.add('playground-embed');
    const bar = document.createElement('div');
    bar.className = 'playground-embed-bar';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = '▶ Start a terminal';
    const status = document.createElement('span');
    status.className = 'playground-embed-status';
    status.setAttribute('role', 'status');
    button.addEventListener('click', () => void ensureWorkspace(status).catch(() => undefined));
    bar.append(button, status);
    container.replaceChildren(bar);
  }
})();
