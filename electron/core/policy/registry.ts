/**
 * Windows: the policy as Group Policy (or Intune, SCCM) writes it, values of
 * `HKLM\Software\Policies\Klatsch`, read through `reg query` so that no
 * native module is needed. This file only parses that command's output; the
 * command itself is run by `load-policy.ts` (and faked in tests).
 *
 * Value names are the policy keys (`serverDomain`, …). REG_SZ → string,
 * REG_DWORD/REG_QWORD → number, REG_MULTI_SZ → list of strings.
 */

export const POLICY_KEY = 'HKLM\\Software\\Policies\\Klatsch';
/** The per-user policy (user Group Policy); the machine's key wins key by key. */
export const USER_POLICY_KEY = 'HKCU\\Software\\Policies\\Klatsch';

/** `HKLM\…` as reg.exe prints it in its output: `HKEY_LOCAL_MACHINE\…`. */
function longForm(key: string): string {
  return key.replace(/^HKLM\\/i, 'HKEY_LOCAL_MACHINE\\').replace(/^HKCU\\/i, 'HKEY_CURRENT_USER\\').toLowerCase();
}

export type RegistryValue = string | number | string[];

export class RegistryParseError extends Error {
  override name = 'RegistryParseError';
}

// `    name    REG_TYPE    data` — reg.exe separates the columns with four spaces; data may be empty.
const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/;

/**
 * @example parseRegQuery('HKEY_LOCAL_MACHINE\\Software\\Policies\\Klatsch\r\n    serverPort    REG_DWORD    0x1466\r\n') // { serverPort: 5222 }
 */
export function parseRegQuery(output: string, key: string = POLICY_KEY): Record<string, RegistryValue> {
  const header = longForm(key);
  const values: Record<string, RegistryValue> = {};
  let inPolicyKey = false;
  let sawKey = false;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') continue;
    if (/^HKEY_/i.test(line)) {
      // Only the key itself; subkeys (from /s) are not part of the policy.
      inPolicyKey = line.toLowerCase() === header;
      sawKey ||= inPolicyKey;
      continue;
    }
    const match = VALUE_LINE.exec(line);
    if (!match) throw new RegistryParseError(`unexpected line in the registry output: ${JSON.stringify(line.slice(0, 80))}`);
    if (!inPolicyKey) continue;
    const [, name = '', type = '', data = ''] = match;
    if (name === '(Default)') continue;
    values[name] = registryValue(name, type, data);
  }
  if (!sawKey) throw new RegistryParseError('the registry output does not show the policy key');
  return values;
}

function registryValue(name: string, type: string, data: string): RegistryValue {
  switch (type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return data;
    case 'REG_DWORD':
    case 'REG_QWORD': {
      if (!/^0x[0-9a-f]+$/i.test(data)) throw new RegistryParseError(`${name}: ${type} value is not a hexadecimal number`);
      return Number.parseInt(data.slice(2), 16);
    }
    case 'REG_MULTI_SZ':
      // reg.exe shows the separators as the two characters \0.
      return data === '' ? [] : data.split('\\0').filter((s) => s !== '');
    default:
      throw new RegistryParseError(`${name}: values of type ${type} are not supported`);
  }
}
