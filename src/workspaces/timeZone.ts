import { IANAZone } from 'luxon';
import { z } from 'zod';

/** An IANA time zone name luxon knows (e.g. `Europe/Paris`); rejected with validation_failed otherwise. */
export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => IANAZone.isValidZone(zone), { message: 'must be an IANA time zone such as Europe/Paris' });
