import { RUNNABLE_LANGUAGES } from './model.ts';

// How a fenced block's info string reads (`sh`, `sh instance=node2`, `sh check`, `sh norun`),
// shared by the parser and by the page that renders a step, so both agree on which blocks
// are runnable and in what order. Pure: safe to import in the browser.

export interface Fence {
  runnable: boolean;
  check: boolean;
  instance?: string;
}

export function readFence(info: string): Fence {
  const [language = '', ...words] = info.trim().split(/\s+/);
  const instance = words.find((word) => word.startsWith('instance='))?.slice('instance='.length);
  const check = words.includes('check');
  const runnable = (RUNNABLE_LANGUAGES as readonly string[]).includes(language.toLowerCase()) && !words.includes('norun') && !check;
  return { runnable, check, instance };
}
