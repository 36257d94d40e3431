import { encodePortHost, encodePortPath, type PortView } from '@playground/contracts';
import type { Config } from './config.ts';

/** Builds the public URLs of an instance's ports from PUBLIC_URL and PORTS_DOMAIN, and its ssh command. */
export class PortUrls {
  private readonly defaultPort: number;

  constructor(
    private readonly config: Pick<Config, 'PUBLIC_URL' | 'PORTS_DOMAIN' | 'publicPort' | 'publicScheme' | 'SSH_PORT' | 'SSH_PUBLIC_HOST'>,
  ) {
    this.defaultPort = config.publicScheme === 'https' ? 443 : 80;
  }

  private hostUrl(instanceId: string, port: number | string): string {
    const publicPort = this.config.publicPort === this.defaultPort ? undefined : this.config.publicPort;
    // encodePortHost takes a number; '{port}' is a placeholder for the template.
    const host = encodePortHost({ instanceId, port: port as number }, this.config.PORTS_DOMAIN, publicPort);
    return `${this.config.publicScheme}://${host}/`;
  }

  port(instanceId: string, port: number): PortView {
    return {
      port,
      url: this.hostUrl(instanceId, port),
      pathUrl: `${this.config.PUBLIC_URL}${encodePortPath({ instanceId, port })}`,
    };
  }

  template(instanceId: string): string {
    return this.hostUrl(instanceId, '{port}');
  }

  /** What a learner types to reach the instance's shell through the SSH gateway (src/ssh/). */
  ssh(instanceId: string): string {
    const host = this.config.SSH_PUBLIC_HOST.replace(/^\[|\]$/g, '');
    return this.config.SSH_PORT === 22 ? `ssh ${instanceId}@${host}` : `ssh ${instanceId}@${host} -p ${this.config.SSH_PORT}`;
  }
}
