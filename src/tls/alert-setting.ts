// How a scenario file names an alert, as a zod schema: beside alerts.ts, the alerts' one
// table, which loads no library, so that recording and printing alerts never loads zod.
import { z } from 'zod';
import { ALERT_NAMES } from './alerts.js';

/** An alert as a scenario file names it: by number, or by its RFC name. */
export const alertSetting = z.union([z.number().int().min(0).max(255), z.enum(ALERT_NAMES)]);
