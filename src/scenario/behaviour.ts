// A scenario's behaviour (everything but its page: name, summary, imitates, symptoms,
// fixes) as YAML, the way `broken-mta show` prints it. The built catalogue keeps this text
// for its own scenarios, so showing one does not load yaml.
import { stringify } from 'yaml';
import type { Scenario } from './schema.js';

export function behaviourYaml(scenario: Scenario): string {
  const { name: _n, summary: _s, imitates: _i, symptoms: _y, fixes: _f, ...behaviour } = scenario;
  return stringify(behaviour, { lineWidth: 0 });
}
