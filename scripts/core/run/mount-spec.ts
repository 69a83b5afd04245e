/** A bind mount from the host into the container. */
export interface Mount {
  source: string;
  target: string;
  readonly: boolean;
  /** The host file a launcher-private copy stands for (a login file's placeholder copy, R164): sessions record and compare this. */
  origin?: string;
}

/**
 * Docker parses `--mount` values as one CSV record, so a field holding a comma, a quote
 * or a newline must be quoted with inner quotes doubled; otherwise it is left as is.
 */
function quoteCsvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** `type=bind,source=…,target=…[,readonly]` with every path safely quoted. */
export function formatMount(mount: Mount): string {
  const fields = ['type=bind', `source=${mount.source}`, `target=${mount.target}`];
  if (mount.readonly) fields.push('readonly');
  return fields.map(quoteCsvField).join(',');
}

/** Where a host path appears inside the container: `/app<realpath>` (G1). */
export function containerPathFor(hostPath: string): string {
  return `/app${hostPath}`;
}
