import { shallowRef, watch } from 'vue';
import { handleAuthError } from './errors';
import { clientFor, token } from './session';

export interface Identity {
  user: string;
  admin: boolean;
}

/** Who the logged-in token belongs to; null until the host said (admin-only buttons wait for it). */
export const identity = shallowRef<Identity | null>(null);

/** Asks the host who the token is, on login and whenever the token changes. */
export function startIdentity(): void {
  watch(
    token,
    (value) => {
      identity.value = null;
      if (value === null) return;
      clientFor(value)
        .call('whoami')
        .then((answer) => {
          if (token.value === value) identity.value = answer;
        })
        .catch(handleAuthError);
    },
    { immediate: true },
  );
}
