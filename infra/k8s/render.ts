import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

// Renders infra/k8s the way `kubectl kustomize infra/k8s` does, for the offline check in
// manifests.test.ts (no kubectl or kustomize binary can be installed in CI). Only the
// kustomization fields this folder uses are implemented — resources, namespace, labels
// (pairs, without selectors), images (newName/newTag) — and any other field is refused, so
// this can never quietly render something kustomize would render differently.

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'images']);
// Kinds without a namespace among those this folder may hold.
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'IngressClass']);

interface PodSpecLike {
  containers?: Array<{ image?: string }>;
  initContainers?: Array<{ image?: string }>;
}

function podSpecOf(manifest: Manifest): PodSpecLike | undefined {
  const spec = manifest.spec as { template?: { spec?: PodSpecLike } } | undefined;
  if (manifest.kind === 'Pod') return manifest.spec as PodSpecLike;
  return spec?.template?.spec;
}

function retag(image: string, images: NonNullable<Kustomization['images']>): string {
  const at = image.lastIndexOf(':');
  const hasTag = at > image.lastIndexOf('/');
  const name = hasTag ? image.slice(0, at) : image;
  const rule = images.find((candidate) => candidate.name === name);
  if (!rule) return image;
  const tag = rule.newTag ?? (hasTag ? image.slice(at + 1) : undefined);
  return `${rule.newName ?? name}${tag ? `:${tag}` : ''}`;
}

/** The rendered manifests of the kustomization in `dir`. */
export function renderKustomization(dir: string): Manifest[] {
  const kustomization = parseYaml(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) throw new Error(`render.ts does not implement kustomization field(s) ${unsupported.join(', ')}`);
  const manifests: Manifest[] = [];
  for (const resource of kustomization.resources ?? []) {
    for (const document of parseAllDocuments(readFileSync(path.join(dir, resource), 'utf8'))) {
      if (document.errors.length > 0) throw new Error(`${resource}: ${document.errors[0]!.message}`);
      const manifest = document.toJS() as Manifest | null;
      if (!manifest) continue;
      if (kustomization.namespace && !CLUSTER_SCOPED.has(manifest.kind)) manifest.metadata.namespace = kustomization.namespace;
      if (kustomization.namespace && manifest.kind === 'Namespace') manifest.metadata.name = kustomization.namespace;
      for (const label of kustomization.labels ?? []) {
        if (label.includeSelectors) throw new Error('render.ts does not implement labels.includeSelectors');
        manifest.metadata.labels = { ...manifest.metadata.labels, ...label.pairs };
      }
      const pod = podSpecOf(manifest);
      for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
        if (container.image) container.image = retag(container.image, kustomization.images ?? []);
      }
      manifests.push(manifest);
    }
  }
  return manifests;
}
