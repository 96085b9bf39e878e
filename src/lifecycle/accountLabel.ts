/** How alerts name an account and its platform ("Alice (@alice) on LinkedIn"). */
import { getProvider, isPlatformId } from '../providers/registry.ts';

export function platformName(platform: string): string {
  return isPlatformId(platform) ? getProvider(platform).facts.displayName : platform;
}

export function accountLabel(c: { displayName: string; handle: string | null }): string {
  return c.handle ? `${c.displayName} (${c.handle})` : c.displayName;
}
