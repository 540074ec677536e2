/**
 * Writer threads run at a lower scheduling priority than the event loop. The pool has one
 * thread per core, so that on a quiet gateway tables are built with every core; but producers
 * wait on the event loop for their acknowledgements, while a table that lags by a second loses
 * nothing (the log holds the records). A nice increment lets the kernel settle that conflict
 * in the event loop's favour whenever both want a core.
 *
 * Linux keeps a nice value per thread: setpriority(PRIO_PROCESS, tid) on a thread id changes
 * that thread alone. Node has no gettid, but /proc/thread-self names the calling thread.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice increment of a writer thread over the process (the kernel's range is -20..19). */
export const WRITER_NICE_INCREMENT = 10;

/**
 * Lowers the calling thread's priority by `increment`; returns the new nice value, or null
 * where it cannot (not Linux, no /proc): the thread then simply runs at the process's own.
 */
export function lowerThisThreadPriority(increment: number): number | null {
  let tid: number;
  try {
    // "<pid>/task/<tid>"
    tid = Number(readlinkSync('/proc/thread-self').split('/')[2]);
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(tid) || tid <= 0) return null;
  try {
    const nice = Math.min(19, getPriority(tid) + increment);
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return null;
  }
}
