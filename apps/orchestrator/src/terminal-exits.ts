/** What lifecycle code needs from the terminal gateway: end the terminals of what went away. */
export interface TerminalExits {
  exitSession(sessionId: string, reason: string): void;
  exitInstance(instanceId: string, reason: string): void;
}
