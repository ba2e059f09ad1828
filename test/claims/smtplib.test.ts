// Every smtplib claim on the scenario pages, run as `broken-mta show` prints it.
import { describeClaims } from '../support/claims.js';

describeClaims('smtplib');
