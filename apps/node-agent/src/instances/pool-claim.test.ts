import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mirrorConfig, renameInHosts } from './pool-claim.ts';

const DOCKER_HOSTS = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
172.20.0.2\twarm-1a2b3c4d
`;

test('renameInHosts names the container after the instance and keeps every other line', () => {
  assert.equal(
    renameInHosts(DOCKER_HOSTS, 'warm-1a2b3c4d', 'node1', '172.20.0.2'),
    `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
172.20.0.2\tnode1
`,
  );
});

test('renameInHosts adds the entry when Docker wrote none, and is idempotent', () => {
  const once = renameInHosts('127.0.0.1\tlocalhost\n', 'warm-x', 'node2', '10.0.0.5');
  assert.equal(once, '127.0.0.1\tlocalhost\n10.0.0.5\tnode2\n');
  assert.equal(renameInHosts(once, 'warm-x', 'node2', '10.0.0.5'), once);
  // A name that merely contains the old one is left alone.
  assert.equal(renameInHosts('1.2.3.4\twarm-xy\n', 'warm-x', 'n', '1.2.3.4'), '1.2.3.4\twarm-xy\n1.2.3.4\tn\n');
});

test('mirrorConfig moves the mirror to the new gateway as playground-init would, unless the instance chose otherwise', () => {
  const before = JSON.stringify({
    'storage-driver': 'overlay2',
    'registry-mirrors': ['http://192.168.176.1:5000'],
    'insecure-registries': ['192.168.176.1:5000', 'registry.local:443'],
  });
  assert.deepEqual(JSON.parse(mirrorConfig(before, ['MIRROR_PORT=5000'], '172.30.0.1', 5000)!), {
    'storage-driver': 'overlay2',
    'registry-mirrors': ['http://172.30.0.1:5000'],
    'insecure-registries': ['172.30.0.1:5000', 'registry.local:443'],
  });
  assert.equal(mirrorConfig(before, ['PLAYGROUND_MIRROR=off'], '172.30.0.1', 5000), undefined);
  assert.equal(mirrorConfig(before, ['PLAYGROUND_MIRROR_URL=http://m:5000'], '172.30.0.1', 5000), undefined);
  assert.equal(mirrorConfig('not json', [], '172.30.0.1', 5000), undefined);
});
