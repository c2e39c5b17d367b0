/**
 * How the development host sees its main event loop stall (`--loop-delay`, read by `npm run bench:roster`):
 * - delay: perf_hooks.monitorEventLoopDelay at 1 ms, the wall-clock lateness of a timer — what a user feels,
 *   but on a loaded machine also the time the OS gave to other processes;
 * - work: the main thread's CPU time between two ticks of a 1 ms timer — how long one stretch of our own
 *   work held the loop, whatever else the machine did (process.threadCpuUsage, Node ≥ 23.9; before that the
 *   whole process's CPU, which also counts helper threads).
 */
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopReport {
  p99Ms: number;
  maxMs: number;
  samples: number;
  /** Our own work between two timer ticks (CPU time of the main thread). */
  workP99Ms: number;
  workMaxMs: number;
}

const threadCpu = (): NodeJS.CpuUsage => {
  const own = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  return own ? own.call(process) : process.cpuUsage();
};

export class LoopWatch {
  private readonly delay = monitorEventLoopDelay({ resolution: 1 });
  private readonly work = createHistogram();
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = threadCpu();

  start(): void {
    this.delay.enable();
    this.lastCpu = threadCpu();
    this.timer = setInterval(() => {
      const now = threadCpu();
      this.work.record(Math.max(1, now.user - this.lastCpu.user + now.system - this.lastCpu.system));
      this.lastCpu = now;
    }, 1);
  }

  stop(): void {
    this.delay.disable();
    clearInterval(this.timer);
  }

  /** Since the start or the last reset. */
  report(): LoopReport {
    return {
      p99Ms: this.delay.percentile(99) / 1e6,
      maxMs: this.delay.max / 1e6,
      samples: this.delay.count,
      workP99Ms: this.work.percentile(99) / 1e3,
      workMaxMs: this.work.max / 1e3,
    };
  }

  reset(): void {
    this.delay.reset();
    this.work.reset();
  }
}
