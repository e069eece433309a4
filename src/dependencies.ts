/**
 * The shared systems a replica depends on (API.md §12): PostgreSQL for records
 * and jobs, Redis for rate-limit counters. Each reports its last known state
 * without doing I/O, so that health stays cheap; the owner of the connection
 * keeps that state current (within 10 s of an outage).
 */

export type DependencyName = 'database' | 'redis';
export type DependencyState = 'ok' | 'unavailable';

/** One configured dependency as health reports it. */
export interface Dependency {
  readonly name: DependencyName;
  state(): DependencyState;
}

/** `data.dependencies` of health: a member per configured dependency, `{}` when none is. */
export function dependencyReport(dependencies: readonly Dependency[]): Partial<Record<DependencyName, DependencyState>> {
  const report: Partial<Record<DependencyName, DependencyState>> = {};
  for (const d of dependencies) report[d.name] = d.state();
  return report;
}
