// When a fault that ends a connection acts, relative to the step's normal reply: in its
// place, right after it, or once the client next sends anything (after 354, while the
// message is on its way: none of it is read). One setting, `at`, for every such fault.
import { z } from 'zod';
import type { FaultTarget } from './fault.js';

export const atSetting = z
  .enum(['reply', 'after-reply', 'next-bytes'])
  .default('reply')
  .describe(
    "reply: in place of the step's reply; after-reply: right after the normal reply; next-bytes: once the client next sends anything after the normal reply (after DATA's 354: in the middle of the message), none of which is read",
  );

export type Moment = z.output<typeof atSetting>;

/** Runs `action` at the moment; true when it takes the reply's place (the step's normal behaviour must not follow). */
export function atMoment(target: FaultTarget, at: Moment, action: () => void): boolean {
  if (at === 'reply') {
    action();
    return true;
  }
  if (at === 'after-reply') target.shapeNextReply({ afterwards: action });
  else target.onNextClientBytes(action);
  return false;
}

/** The words for the moment, for a fault's detail. */
export function momentText(at: Moment, step: string): string {
  if (at === 'reply') return `instead of the reply to ${step}`;
  if (at === 'after-reply') return `right after the reply to ${step}`;
  return `once the client sent more after the reply to ${step} (none of it read)`;
}
