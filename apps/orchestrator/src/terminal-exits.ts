/** What lifecycle code needs from the terminal gateway: end the terminals of what went away, or warn them. */
export interface TerminalExits {
  exitSession(sessionId: string, reason: string): void;
  exitInstance(instanceId: string, reason: string): void;
  /** Writes a line from the playground (not the shell) into every open terminal of the instance. */
  noticeInstance(instanceId: string, text: string): void;
}
