import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { NodeListView, SessionView } from '@playground/contracts';
import { launchBrowser } from '../support/browser.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { eventually } from '../support/eventually.ts';

// The operator's page: with the admin token it lists the nodes (and drains one), the live
// sessions, and the audit trail of one session.

describe('the operator page', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;

  before(async () => {
    stack = await startTestStack('e2e-operator', { web: true });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('refuses a wrong token, then shows nodes, live sessions and a session\'s audit trail, and drains a node', async () => {
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    await page.goto(`${stack.baseUrl}/admin`);
    await page.getByTestId('admin-token').fill('not-the-token');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByText('That admin token was refused.').waitFor({ timeout: 15_000 });

    await page.getByTestId('admin-token').fill(stack.adminToken);
    await page.getByRole('button', { name: 'Open' }).click();
    const nodeId = stack.nodeIds[0]!;
    const nodeRow = page.getByTestId('operator-nodes').locator(`tr[data-node="${nodeId}"]`);
    await nodeRow.waitFor({ timeout: 15_000 });
    assert.match(await nodeRow.innerText(), /ready/);
    await eventually(async () => (await page.getByTestId('operator-sessions').innerText()).includes(session.body.id.slice(0, 8)), { timeoutMs: 15_000, description: 'the session listed' });

    await page.getByTestId('audit-filter').fill(session.body.id);
    await eventually(async () => /session\.created/.test(await page.getByTestId('operator-audit').innerText()), { timeoutMs: 15_000, description: "the session's audit events" });

    await nodeRow.getByRole('button', { name: 'Drain' }).click();
    await eventually(async () => /draining/.test(await nodeRow.innerText()), { timeoutMs: 15_000, description: 'the node shown draining' });
    const nodes = await stack.admin<NodeListView>('GET', '/api/v1/nodes');
    assert.equal(nodes.body.nodes.find((node) => node.id === nodeId)?.drained, true);
    await nodeRow.getByRole('button', { name: 'Undrain' }).click();
    await eventually(async () => /ready/.test(await nodeRow.innerText()), { timeoutMs: 15_000, description: 'the node ready again' });
  });
});
