import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { CONFIG_VARIABLES as AGENT_VARIABLES } from '../../apps/node-agent/src/config.ts';
import { CONFIG_VARIABLES as ORCHESTRATOR_VARIABLES } from '../../apps/orchestrator/src/config.ts';
import { CONFIG_VARIABLES as WEB_VARIABLES } from '../../apps/web/src/config.ts';
import { renderKustomization, type Manifest } from './render.ts';

// The Kubernetes manifests render and are valid offline: each object against the Kubernetes
// OpenAPI schema of its kind (kubernetes-models, generated from Kubernetes' OpenAPI spec), and
// the objects agree with each other and with the apps (what a cluster would refuse or break on
// only at run time: a Service selecting no pod, a key missing from a Secret, a variable no app
// reads). Nothing here talks to a cluster.

const DIR = path.dirname(fileURLToPath(import.meta.url));
const manifests = renderKustomization(DIR);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number }>;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; secret?: { secretName: string }; configMap?: { name: string } }>;
}

const workloads = manifests.filter((m) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(m.kind));
const pod = (m: Manifest) => (m.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;
const allContainers = (m: Manifest) => [...pod(m).spec.containers, ...(pod(m).spec.initContainers ?? [])];
const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);

// Objects the operator creates (certificates, the SSH host key): named in README "Kubernetes".
const OPERATOR_SECRETS = new Set(['playground-tls', 'playground-ssh-host-key']);

/** The schema validator of an apiVersion/kind, from kubernetes-models (`apps/v1/Deployment`, `v1/Service`). */
async function validatorFor(apiVersion: string, kind: string): Promise<(object: unknown) => void> {
  const module = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[kind];
  if (!Model) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return (object) => new Model(object).validate();
}

describe('the Kubernetes manifests (infra/k8s)', () => {
  it('render every YAML file of the folder, each object once', () => {
    const files = readdirSync(DIR).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml').sort();
    const kustomization = parseYaml(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    assert.deepEqual([...kustomization.resources].sort(), files, 'every manifest file is a resource of the kustomization');
    const ids = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    assert.equal(new Set(ids).size, ids.length, `no object twice: ${ids.join(', ')}`);
    for (const m of manifests) {
      if (m.kind !== 'Namespace') assert.equal(m.metadata.namespace, 'playground', `${m.kind}/${m.metadata.name} is in the playground namespace`);
    }
  });

  it('are valid against the Kubernetes OpenAPI schema of their kind', async () => {
    for (const m of manifests) {
      const validate = await validatorFor(m.apiVersion, m.kind);
      assert.doesNotThrow(() => validate(m), `${m.kind}/${m.metadata.name}`);
    }
    // The check is live: the same Deployment with a wrong type is refused.
    const broken = structuredClone(find('Deployment', 'playground-orchestrator')!);
    (broken.spec as { replicas: unknown }).replicas = 'two';
    const validate = await validatorFor('apps/v1', 'Deployment');
    assert.throws(() => validate(broken), /replicas must be integer/);
  });

  it('give each workload the kinds of hosts and replicas it needs', () => {
    const orchestrator = find('Deployment', 'playground-orchestrator')!;
    assert.ok(((orchestrator.spec as { replicas: number }).replicas ?? 1) >= 2, 'the orchestrator declares replicas');
    const agents = find('DaemonSet', 'playground-node-agent')!;
    const agentPod = pod(agents).spec as PodSpec & { hostNetwork?: boolean; hostPID?: boolean; nodeSelector?: Record<string, string> };
    assert.equal(agentPod.hostNetwork, true);
    assert.equal(agentPod.hostPID, true);
    assert.deepEqual(agentPod.nodeSelector, { 'playground.dev/docker-host': 'true' }, 'agents run only on labelled Docker hosts');
    assert.deepEqual(agentPod.containers.map((c) => c.name).sort(), ['agent', 'mirror'], 'each Docker host gets an agent and a registry mirror');
    for (const m of workloads) {
      for (const c of allContainers(m)) {
        assert.match(c.image, /^playground\/(app|runtime|mirror):latest$/, `${m.metadata.name}/${c.name} runs an image infra/compose/build.sh builds`);
      }
    }
  });

  it('Services and the Ingress reach pods and ports that exist', () => {
    for (const service of manifests.filter((m) => m.kind === 'Service')) {
      const spec = service.spec as { selector: Record<string, string>; ports: Array<{ targetPort: string | number }> };
      const targets = workloads.filter((w) => Object.entries(spec.selector).every(([k, v]) => pod(w).metadata.labels[k] === v));
      assert.equal(targets.length, 1, `Service ${service.metadata.name} selects one workload`);
      const named = new Set(pod(targets[0]!).spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
      for (const port of spec.ports) assert.ok(named.has(String(port.targetPort)), `Service ${service.metadata.name}: port ${port.targetPort} exists`);
    }
    const ingress = find('Ingress', 'playground')!;
    const rules = (ingress.spec as { rules: Array<{ host: string; http: { paths: Array<{ backend: { service: { name: string; port: { name: string } } } }> } }> }).rules;
    assert.deepEqual(rules.map((r) => r.host), ['play.example.com', '*.ports.play.example.com'], 'the site and the wildcard of port hosts');
    const config = find('ConfigMap', 'playground-config')!.data as Record<string, string>;
    assert.equal(new URL(config.PUBLIC_URL!).hostname, rules[0]!.host, 'PUBLIC_URL names the Ingress host');
    assert.equal(`*.${config.PORTS_DOMAIN}`, rules[1]!.host, 'PORTS_DOMAIN is the wildcard host');
    for (const backend of rules.flatMap((r) => r.http.paths.map((p) => p.backend.service))) {
      const service = find('Service', backend.name);
      assert.ok(service, `Ingress backend ${backend.name} exists`);
      assert.ok((service.spec as { ports: Array<{ name: string }> }).ports.some((p) => p.name === backend.port.name));
    }
  });

  it('refer only to Secret and ConfigMap keys that exist', () => {
    const keysOf = (kind: string, name: string): Set<string> | undefined => {
      const object = find(kind, name) as (Manifest & { data?: object; stringData?: object }) | undefined;
      return object && new Set([...Object.keys(object.data ?? {}), ...Object.keys(object.stringData ?? {})]);
    };
    for (const m of workloads) {
      for (const c of allContainers(m)) {
        for (const v of c.env ?? []) {
          const ref = v.valueFrom?.secretKeyRef ?? v.valueFrom?.configMapKeyRef;
          if (!ref) continue;
          const keys = keysOf(v.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
          assert.ok(keys?.has(ref.key), `${m.metadata.name}/${c.name}: ${v.name} from ${ref.name}.${ref.key}`);
        }
      }
      for (const volume of pod(m).spec.volumes ?? []) {
        if (volume.secret && !OPERATOR_SECRETS.has(volume.secret.secretName)) assert.ok(find('Secret', volume.secret.secretName), `${m.metadata.name}: Secret ${volume.secret.secretName}`);
      }
    }
  });

  it("give each app only variables its config.ts reads, with every $(VAR) defined before it", () => {
    const apps: Array<{ entry: string; variables: readonly string[] }> = [
      { entry: 'apps/orchestrator/src/main.ts', variables: ORCHESTRATOR_VARIABLES },
      { entry: 'apps/node-agent/src/main.ts', variables: AGENT_VARIABLES },
      { entry: 'server.ts', variables: WEB_VARIABLES },
    ];
    // Variables that only feed $(VAR) expansion, and the HOME every Node process gets.
    const helpers = new Set(['HOME', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD']);
    let checked = 0;
    for (const m of workloads) {
      for (const c of allContainers(m)) {
        const app = apps.find((candidate) => (c.command ?? []).join(' ').includes(candidate.entry));
        const defined = new Set<string>();
        for (const v of c.env ?? []) {
          for (const [, name] of (v.value ?? '').matchAll(/\$\(([A-Z_]+)\)/g)) assert.ok(defined.has(name!), `${m.metadata.name}/${c.name}: $(${name}) in ${v.name} is defined before it`);
          defined.add(v.name);
          if (app && !helpers.has(v.name)) assert.ok(app.variables.includes(v.name), `${m.metadata.name}/${c.name}: ${v.name} is read by ${app.entry}'s config`);
        }
        if (app) checked += 1;
      }
    }
    assert.equal(checked, 3, 'the orchestrator, agent and web containers were checked');
    const orchestratorEnv = new Set(pod(find('Deployment', 'playground-orchestrator')!).spec.containers[0]!.env!.map((v) => v.name));
    for (const required of ['DATABASE_URL', 'REDIS_URL', 'ADMIN_TOKEN', 'AGENT_SECRET', 'PUBLIC_URL']) assert.ok(orchestratorEnv.has(required), `the orchestrator gets ${required}`);
    const agentEnv = pod(find('DaemonSet', 'playground-node-agent')!).spec.containers[0]!.env!.map((v) => v.name);
    assert.ok(!agentEnv.includes('AGENT_SECRET') && !agentEnv.includes('POSTGRES_PASSWORD'), 'agents get neither AGENT_SECRET nor database credentials');
  });
});
