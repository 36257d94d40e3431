import { PlaygroundError, type TemplateView } from '@playground/contracts';
import { loadTemplates, type SessionTemplate, type TemplateInstance } from '@playground/labs';
import path from 'node:path';
import type { Instance } from './generated/prisma/client.ts';
import type { InstanceCommands } from './instance-commands.ts';
import type { Instances } from './instances.ts';
import type { Logger } from './logger.ts';
import { formSwarm, runInInstance } from './swarm.ts';

// Session templates (templates/<id>.yaml): loaded and validated once at start, and realised
// for a new session by the same instances and commands a learner's own clicks use: each
// instance is created (from the warm pool when it has one), its files written and its setup
// run, then the Swarm formed. It runs after the session is answered; the learner's page shows
// the instances as they come.

export interface TemplateCatalog {
  list(): TemplateView[];
  /** The template, or a 400 that lists the known ones. */
  require(id: string): SessionTemplate;
}

export async function loadTemplateCatalog(directory?: string): Promise<TemplateCatalog> {
  const templates = await loadTemplates(directory);
  const byId = new Map(templates.map((template) => [template.id, template]));
  return {
    list: () =>
      templates.map((template) => ({
        id: template.id,
        title: template.title,
        description: template.description,
        instances: template.instances.map(({ hostname, swarm }) => (swarm ? { hostname, swarm } : { hostname })),
      })),
    require: (id) => {
      const template = byId.get(id);
      if (!template) throw new PlaygroundError('bad_request', `There is no template "${id}". Known templates: ${[...byId.keys()].join(', ')}.`);
      return template;
    },
  };
}

export class TemplateProvisioner {
  constructor(
    private readonly instances: Instances,
    private readonly commands: Pick<InstanceCommands, 'exec' | 'upload'>,
    private readonly logger: Logger,
  ) {}

  /** Starts realising the template in the background; what fails is logged with the session. */
  start(sessionId: string, template: SessionTemplate): void {
    this.realise(sessionId, template).catch((error: unknown) =>
      this.logger.warn({ sessionId, template: template.id, err: (error as Error)?.message }, 'template.failed'),
    );
  }

  async realise(sessionId: string, template: SessionTemplate): Promise<void> {
    const made = await Promise.all(
      template.instances.map(async (spec) => ({ spec, instance: await this.instances.create(sessionId, { hostname: spec.hostname }) })),
    );
    await Promise.all(made.map(({ spec, instance }) => this.prepare(sessionId, instance, spec)));
    const withRole = (role: 'manager' | 'worker') => made.filter(({ spec }) => spec.swarm === role).map(({ instance }) => instance);
    await formSwarm(this.commands, sessionId, withRole('manager'), withRole('worker'));
    this.logger.info({ sessionId, template: template.id, instances: made.length }, 'template.ready');
  }

  /** The instance's files, then its setup script. */
  private async prepare(sessionId: string, instance: Instance, spec: TemplateInstance): Promise<void> {
    for (const file of spec.files) {
      const data = new TextEncoder().encode(file.content);
      await this.commands.upload(sessionId, instance.id, { directory: path.posix.dirname(file.path), fileName: path.posix.basename(file.path), data });
      if (file.mode) await runInInstance(this.commands, sessionId, instance, ['chmod', file.mode, file.path]);
    }
    if (spec.setup) await runInInstance(this.commands, sessionId, instance, ['bash', '-c', spec.setup]);
  }
}
