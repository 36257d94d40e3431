// Text typed into an instance's terminal by something other than the keyboard: a lab's
// click-to-run block. The terminal of that instance, wherever it is mounted, sends it to the
// shell as if typed; nothing happens when no terminal of that instance is open.

type Listener = (text: string) => void;

const listeners = new Map<string, Set<Listener>>();

/** Types `text` into the open terminal(s) of `instanceId`; false when none is open. */
export function typeIntoTerminal(instanceId: string, text: string): boolean {
  const open = listeners.get(instanceId);
  if (!open?.size) return false;
  for (const listener of open) listener(text);
  return true;
}

/** Called by a terminal while it is connected to `instanceId`; returns the unsubscribe. */
export function onTypedInput(instanceId: string, listener: Listener): () => void {
  const open = listeners.get(instanceId) ?? new Set<Listener>();
  open.add(listener);
  listeners.set(instanceId, open);
  return () => {
    open.delete(listener);
    if (open.size === 0) listeners.delete(instanceId);
  };
}

/** A block's code as keystrokes: each line ends with Enter, as when typed. */
export function asKeystrokes(code: string): string {
  return `${code.replace(/\r?\n$/, '')}\r`.replace(/\r?\n/g, '\r');
}
