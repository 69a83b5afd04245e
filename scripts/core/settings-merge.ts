import type { EgressLayer } from './egress/egress-policy.js';
import type { SettingsKey, SettingsLayer, SettingsValues } from './settings.js';

/** Where a value came from, highest precedence first. */
export type SettingsSource = 'flag' | 'environment' | 'project file' | 'user file' | 'default';

export interface SettingsLayers {
  flags: SettingsLayer;
  environment: SettingsLayer;
  project?: SettingsLayer;
  user?: SettingsLayer;
}

export interface MergedSettings {
  values: SettingsValues;
  /** The source that decided a single value, or every source that added to a list. */
  sources: Record<SettingsKey, SettingsSource[]>;
}

const LIST_KEYS = ['allow', 'deny', 'allowHostPorts', 'noInspect', 'readOnly'] as const;
const SINGLE_KEYS = ['image', 'initScript', 'agent', 'ask', 'baseImage'] as const;

function ordered(layers: SettingsLayers): Array<[SettingsSource, SettingsLayer | undefined]> {
  return [
    ['flag', layers.flags],
    ['environment', layers.environment],
    ['project file', layers.project],
    ['user file', layers.user],
  ];
}

/**
 * The one place settings are merged, flags > environment > project file > user file >
 * defaults: a single value (image, init_script, agent, base_image) comes from the highest source that sets
 * it; lists add up (lowest first, deduplicated) the way core/egress-policy.ts merges
 * allow/deny/host ports, so a deny anywhere still wins over every allow.
 */
export function mergeSettings(layers: SettingsLayers): MergedSettings {
  const values: SettingsValues = { allow: [], deny: [], allowHostPorts: [], noInspect: [], readOnly: [] };
  const sources = {} as Record<SettingsKey, SettingsSource[]>;
  const bySource = ordered(layers);
  for (const key of SINGLE_KEYS) {
    const found = bySource.find(([, layer]) => layer?.[key] !== undefined);
    sources[key] = [found?.[0] ?? 'default'];
    if (found !== undefined) values[key] = found[1]?.[key];
  }
  for (const key of LIST_KEYS) {
    sources[key] = [];
    for (const [source, layer] of [...bySource].reverse()) {
      const list = layer?.[key] as ReadonlyArray<string | number> | undefined;
      if (list === undefined) continue;
      sources[key].unshift(source);
      const target = values[key] as Array<string | number>;
      for (const entry of list) if (!target.includes(entry)) target.push(entry);
    }
    if (sources[key].length === 0) sources[key].push('default');
  }
  return { values, sources };
}

/** A settings file's network keys as an egress layer; `source` names the file in errors. */
export function toEgressLayer(layer: SettingsLayer, source: string): EgressLayer {
  return {
    source,
    allow: layer.allow,
    deny: layer.deny,
    hostPorts: layer.allowHostPorts?.map(String),
  };
}
